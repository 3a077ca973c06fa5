#!/bin/bash
# one measurement of ggml's reference quantizers on this machine: the same-input driver, then test-quantize-perf
cd /tmp/ggml-bench
echo "== date $(date -u +%Y-%m-%dT%H:%M:%SZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
./quant_bench tensor4096.f32 4096 q8_0 q4_0 q4_1 q5_0 q5_1 q2_K q3_K q4_K q5_K q6_K f16 bf16
/tmp/llama.cpp/build/bin/test-quantize-perf --op quantize_row_q_reference --size 16777216 -i 5 \
  --type q8_0 --type q4_0 --type q4_1 --type q5_0 --type q5_1 --type q2_K --type q3_K --type q4_K --type q5_K --type q6_K --type f16 --type bf16 \
  | awk '/^[a-z0-9_A-Z]+$/{t=$1} /min cycles/{c=$NF} /float32 throughput/{printf "tqp %s min_cycles_per_32=%s float32_GBps=%s\n", t, c, $(NF-1)}'
