#!/usr/bin/env python3
"""Writes shifted_docs.json: a shifted-domain prompt set for the OOD measurement of BENCHMARKS.md "Detection quality".

Sentences of this repository's own technical documentation (docs/DESIGN.md, README.md): Kafka, Prometheus and
linear-algebra prose, a domain absent from the instruction-following prompts of ../shared/data/prompts. Markdown,
code spans and table rows are dropped; sentences of 4 to 40 words are kept, de-duplicated, in file order.
"""
import json, pathlib, re, sys

root = pathlib.Path(__file__).resolve().parents[2]
out = []
seen = set()
for name in ("docs/DESIGN.md", "README.md"):
    text = (root / name).read_text()
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith(("|", "#", "```"))]
    text = " ".join(l.strip().lstrip("-*0123456789. ") for l in lines)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_]{1,2}", "", text)
    for s in re.split(r"(?<=[.!?])\s+", text):
        s = re.sub(r"\s+", " ", s).strip()
        words = s.split()
        if 4 <= len(words) <= 40 and s not in seen and re.search(r"[a-z]", s):
            seen.add(s)
            out.append({"instruction": s, "category": "shifted_docs"})
json.dump(out, open(pathlib.Path(__file__).with_name("shifted_docs.json"), "w"), indent=1)
print(len(out), "sentences", file=sys.stderr)
