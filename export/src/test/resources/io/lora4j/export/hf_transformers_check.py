"""Loads an exported Hugging Face directory with transformers and reports what it does, for HfExportTransformersSharedDataTest.

usage: python hf_transformers_check.py HF_DIR REQUEST.json OUT.json
REQUEST: {"texts": [...], "prompts": [...] (none: the tokenizer only), "max_new_tokens": N, "logit_ids": [...], "reference_dir": optional HF dir}
OUT: tokenizer class, ids per text (with the tokenizer's own BOS handling), decoded texts, greedy continuations
(new ids without the stopping EOS, and their text), float32 logits of logit_ids written beside OUT as OUT.logits.f32,
the reference directory's ids when one is given, and the sentencepiece library's ids from tokenizer.model when
both exist.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

hf_dir, request_path, out_path = sys.argv[1:4]
req = json.load(open(request_path, encoding="utf-8"))
tok = AutoTokenizer.from_pretrained(hf_dir)
out = {"tokenizer_class": type(tok).__name__}
out["ids"] = [tok(t)["input_ids"] for t in req["texts"]]
out["ids_no_special"] = [tok(t, add_special_tokens=False)["input_ids"] for t in req["texts"]]
out["decoded"] = [tok.decode(ids, skip_special_tokens=True) for ids in out["ids"]]
try:  # the sentencepiece library on tokenizer.model, where both exist (ids without BOS)
    import os
    import sentencepiece
    if os.path.exists(os.path.join(hf_dir, "tokenizer.model")):
        sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(hf_dir, "tokenizer.model"))
        out["sentencepiece_ids"] = [sp.encode(t) for t in req["texts"]]
except ImportError:
    pass
if req.get("reference_dir"):
    ref = AutoTokenizer.from_pretrained(req["reference_dir"])
    out["reference_ids"] = [ref(t)["input_ids"] for t in req["texts"]]

if not req.get("prompts"):
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)
    sys.exit(0)
model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
model.eval()
eos = model.generation_config.eos_token_id
eos = set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()
gens = []
with torch.no_grad():
    for p in req["prompts"]:
        ids = torch.tensor([tok(p)["input_ids"]])
        g = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=req["max_new_tokens"], do_sample=False,
                           pad_token_id=next(iter(eos)) if eos else None)
        new = g[0, ids.shape[1]:].tolist()
        if new and new[-1] in eos:
            new = new[:-1]
        gens.append({"prompt": p, "ids": new, "text": tok.decode(new, skip_special_tokens=True)})
    logits = model(torch.tensor([req["logit_ids"]])).logits[0].float().numpy()
out["generations"] = gens
logits.astype("<f4").tofile(out_path + ".logits.f32")
out["logits_shape"] = list(logits.shape)
json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)
