// The demo's exported GGUF in a real llama.cpp: for each prompt of lora4j's `generate --json` output (one JSON per
// line), llama.cpp's greedy answer must equal lora4j's, except that the two may part where lora4j's two best tokens
// were nearly tied (llama.cpp multiplies Q8_0 weights with Q8-quantized activations, which moves logits by up to ~0.5
// on this tiny model): a divergence is accepted only at a step whose margin is below MARGIN.
//   node .ci/llamacpp-answer.mjs MODEL.gguf ANSWERS.jsonl
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, answersFile] = process.argv.slice(2);
const MARGIN = 0.75;
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath});
let failed = false;
for (const line of fs.readFileSync(answersFile, "utf8").split("\n").filter(l => l.trim())) {
    const java = JSON.parse(line);
    const context = await model.createContext({contextSize: 256});
    const out = [];
    for await (const t of context.getSequence().evaluate(java.prompt_ids, {temperature: 0})) {
        if (model.isEogToken(t)) break;
        out.push(t);
        if (out.length >= java.ids.length + 1) break;
    }
    await context.dispose();
    let k = 0;
    while (k < out.length && k < java.ids.length && out[k] === java.ids[k]) k++;
    const same = out.length === java.ids.length && k === out.length;
    const nearTie = !same && k < java.margins.length && java.margins[k] < MARGIN;
    const verdict = same ? "ok   " : nearTie ? "ok~  " : "FAIL ";
    console.log(verdict + JSON.stringify(model.detokenize(out)) + (same ? "" : `  (lora4j: ${JSON.stringify(model.detokenize(java.ids))}; parted at step ${k}, lora4j margin ${java.margins[k]?.toFixed(3)})`));
    if (!same && !nearTie) failed = true;
}
await model.dispose();
process.exit(failed ? 1 : 0);
