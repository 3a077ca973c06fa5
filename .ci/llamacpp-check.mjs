// Downstream check with a real llama.cpp (node-llama-cpp's prebuilt binaries, CPU):
//   node .ci/llamacpp-check.mjs EXPORT_DIR BASE_GGUF JAVA_GREEDY_JSON
// (a) every exported GGUF loads and generates, (b) base + adapter.gguf (hot-swapped LoRA) gives the same greedy
// continuation as the merged F16 file, (c) the merged F32 file's greedy continuation equals lora4j's own exactly
// (F16 is reported too: llama.cpp multiplies F16 weights with F16-rounded activations, so long greedy runs may part).
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";
import path from "node:path";

const [dir, baseGguf, javaJson] = process.argv.slice(2);
const java = JSON.parse(fs.readFileSync(javaJson, "utf8"));
const prompt = java.prompt_ids;
const n = java.ids.length;
const llama = await getLlama({gpu: false, build: "never"});

async function greedy(modelPath, lora) {
    const model = await llama.loadModel({modelPath});
    const context = await model.createContext({contextSize: 128, ...(lora ? {lora} : {})});
    const out = [];
    for await (const t of context.getSequence().evaluate(prompt, {temperature: 0})) {
        if (model.isEogToken(t)) break;
        out.push(t);
        if (out.length >= n) break;
    }
    const text = model.detokenize(out);
    await context.dispose();
    await model.dispose();
    return {ids: out, text};
}

let failed = false;
function check(ok, what) {
    console.log((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failed = true;
}
function agree(a, b) {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
}

const results = {};
for (const f of fs.readdirSync(dir).filter(f => /^model\..*\.gguf$/.test(f)).sort()) {
    const r = await greedy(path.join(dir, f));
    results[f] = r;
    check(r.ids.length > 0 && r.text.trim().length > 0, `${f} loads and generates: ${JSON.stringify(r.text.slice(0, 80))}`);
}
const merged = results["model.F16.gguf"];
const lora = await greedy(baseGguf, path.join(dir, "adapter.gguf"));
const k = agree(lora.ids, merged.ids);
check(k >= Math.min(16, n), `base + --lora adapter.gguf vs merged F16: first ${k} of ${n} greedy tokens agree (${JSON.stringify(lora.text.slice(0, 60))})`);
const f32 = results["model.F32.gguf"];
check(f32 !== undefined && agree(java.ids, f32.ids) === n, `merged F32 in llama.cpp vs lora4j's own greedy generation: ${f32 ? agree(java.ids, f32.ids) : 0} of ${n} tokens agree`);
const j = agree(java.ids, merged.ids);
check(j >= Math.min(16, n), `merged F16 in llama.cpp vs lora4j: first ${j} of ${n} greedy tokens agree`);
process.exit(failed ? 1 : 0);
