// Greedy decoding in a real llama.cpp (node-llama-cpp's prebuilt CPU binaries), for FamiliesLlamaCppSharedDataTest:
//   node .ci/family-check.mjs REQUEST_JSON REPORT_JSON
// REQUEST: {"n": 16, "prompt": [ids], "runs": [{"name", "model", "lora"?: adapter GGUF, "forced"?: [ids],
//           "watch"?: [[ids at step 0], [ids at step 1], ...]}]}
// For each run: load the model (and the LoRA), feed the prompt as token ids (no template, no BOS added), then take n
// steps; each step's token is the argmax (greedy; never stopping at an end-of-generation token, so every run yields n
// ids), or with "forced" the given token, to read the logits along another run's path. Reported per step: the argmax
// and the raw logits of the two best tokens and of the step's watched tokens, so lora4j can compare logits, not only
// ids. The KV cache is F32 and flash attention off, as lora4j computes in float32.
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [requestPath, reportPath] = process.argv.slice(2);
const request = JSON.parse(fs.readFileSync(requestPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: 1});

function next(watch) {
    return {generateNext: {logits: {filter: {tokens: watch || [], includeTop: 2}}}};
}

async function decode(run) {
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
    const watch = run.watch || [];
    const out = {ids: [], argmax: [], logits: []};
    let input = request.prompt.map((t, i) => (i === request.prompt.length - 1 ? [t, next(watch[0])] : t));
    for (let step = 0; step < request.n; step++) {
        const results = await seq.controlledEvaluate(input);
        const logits = results[results.length - 1].next.logits; // a Map sorted by logit, best first
        const best = logits.keys().next().value;
        const token = run.forced ? run.forced[step] : best;
        out.argmax.push(best);
        out.ids.push(token);
        out.logits.push([...logits.entries()]);
        input = [[token, next(watch[step + 1])]];
    }
    await context.dispose();
    await model.dispose();
    return out;
}

const report = {runs: {}};
for (const run of request.runs) {
    report.runs[run.name] = await decode(run);
    console.log(`${run.name}: ${JSON.stringify(report.runs[run.name].argmax)}`);
}
fs.writeFileSync(reportPath, JSON.stringify(report));
