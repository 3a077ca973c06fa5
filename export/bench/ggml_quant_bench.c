// Times ggml's reference quantizers (ggml_quantize_chunk with no importance matrix, which calls
// quantize_row_<type>_ref row by row) on the exact tensor lora4j's `bench quantize` uses, dumped as
// little-endian float32. Prints best-of-N single-thread CPU-time MB/s (1e6 bytes of F32 input per second).
#include "ggml.h"
#include "ggml-cpu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static double wall_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char ** argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s tensor.f32 n type...\n", argv[0]); return 1; }
    int n = atoi(argv[2]);
    size_t count = (size_t) n * n;
    float * x = malloc(count * sizeof(float));
    FILE * f = fopen(argv[1], "rb");
    if (!f || fread(x, sizeof(float), count, f) != count) { fprintf(stderr, "cannot read %zu floats from %s\n", count, argv[1]); return 1; }
    fclose(f);
    double mb = count * 4.0 / 1e6;
    for (int a = 3; a < argc; a++) {
        enum ggml_type type = GGML_TYPE_COUNT;
        for (int t = 0; t < GGML_TYPE_COUNT; t++) if (ggml_type_name(t) && strcmp(ggml_type_name(t), argv[a]) == 0) type = t;
        if (type == GGML_TYPE_COUNT) { fprintf(stderr, "unknown type %s\n", argv[a]); return 1; }
        void * out = malloc(ggml_row_size(type, n) * n);
        ggml_quantize_chunk(type, x, out, 0, n, n, NULL); // warm-up
        double best_cpu = 1e30, best_wall = 1e30, spent = 0;
        int reps = 0;
        while (reps < 3 || (spent < 3.0 && reps < 10)) {
            double c = cpu_s(), w = wall_s();
            ggml_quantize_chunk(type, x, out, 0, n, n, NULL);
            double dc = cpu_s() - c, dw = wall_s() - w;
            if (dc < best_cpu) best_cpu = dc;
            if (dw < best_wall) best_wall = dw;
            spent += dw;
            reps++;
        }
        printf("%s cpu_mb_s=%.0f wall_mb_s=%.0f reps=%d\n", argv[a], mb / best_cpu, mb / best_wall, reps);
        free(out);
    }
    free(x);
    return 0;
}
