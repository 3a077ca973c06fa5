// Greedy decoding in a real llama.cpp (node-llama-cpp's prebuilt CPU binaries), for FamiliesLlamaCppSharedDataTest:
//   node .ci/family-check.mjs REQUEST_JSON REPORT_JSON
// REQUEST: {"n": 16, "prompt": [ids], "runs": [{"name", "model", "lora"?: adapter GGUF, "reference"?: [ids]}]}.
// For each run: load the model (and the LoRA), feed the prompt as token ids (no template, no BOS added), then take the
// argmax n times, never stopping at an end-of-generation token, so every run yields exactly n ids. At each step the two
// best raw logits are reported, and with a reference path also the logit of the reference's token at that step, so a
// divergence can be explained in logits. The KV cache is F32 and flash attention off, as lora4j computes in float32.
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [requestPath, reportPath] = process.argv.slice(2);
const request = JSON.parse(fs.readFileSync(requestPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: 1});

function next(reference) {
    const tokens = reference === undefined ? [] : [reference];
    return {generateNext: {logits: {filter: {tokens, includeTop: 2}}}};
}

async function greedy(run) {
    const model = await llama.loadModel({modelPath: run.model});
    const context = await model.createContext({
        contextSize: request.prompt.length + request.n + 8,
        threads: 1, // more threads spin against each other on a busy CPU: 1.5 s a token instead of 20 ms
        flashAttention: false,
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        ...(run.lora ? {lora: run.lora} : {}),
    });
    const seq = context.getSequence();
    const ref = run.reference || [];
    const out = {ids: [], top: [], second: [], margins: [], referenceLogits: []};
    let input = request.prompt.map((t, i) => (i === request.prompt.length - 1 ? [t, next(ref[0])] : t));
    for (let step = 0; step < request.n; step++) {
        const results = await seq.controlledEvaluate(input);
        const logits = results[results.length - 1].next.logits;
        // the Map is sorted by logit, best first; a tie keeps llama.cpp's order
        const best = [...logits.entries()].slice(0, 2);
        const [token, logit] = best[0];
        out.ids.push(token);
        out.top.push(logit);
        out.second.push(best[1][1]);
        out.margins.push(logit - best[1][1]);
        if (step < ref.length) out.referenceLogits.push(logits.get(ref[step]));
        input = [[token, next(ref[step + 1])]];
    }
    await context.dispose();
    await model.dispose();
    return out;
}

const report = {runs: {}};
for (const run of request.runs) {
    report.runs[run.name] = await greedy(run);
    console.log(`${run.name}: ${JSON.stringify(report.runs[run.name].ids)}`);
}
fs.writeFileSync(reportPath, JSON.stringify(report));
