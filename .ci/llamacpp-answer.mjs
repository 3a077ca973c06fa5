// The demo's exported GGUF in a real llama.cpp: for each prompt of lora4j's `generate --json` output (one JSON per
// line), llama.cpp's greedy answer must equal lora4j's.
//   node .ci/llamacpp-answer.mjs MODEL.gguf ANSWERS.jsonl
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, answersFile] = process.argv.slice(2);
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
    const same = out.length === java.ids.length && out.every((t, i) => t === java.ids[i]);
    console.log((same ? "ok   " : "FAIL ") + JSON.stringify(model.detokenize(out)) + (same ? "" : "  (lora4j: " + JSON.stringify(java.text) + ")"));
    if (!same) failed = true;
}
await model.dispose();
process.exit(failed ? 1 : 0);
