#!/usr/bin/env bash
# Trains three small SentencePiece Unigram models on t5_corpus.txt with Debian's sentencepiece tools
# (apt: sentencepiece) and records spm_encode's ids and pieces for every line of t5_sentences.txt in
# t5_expected.json, with spm_decode's text for those ids. The C# T5Tokenizer must reproduce them exactly.
#   t5_unigram.model        T5's settings: pad 0, eos 1, unk 2, no bos, nmt_nfkc (the default rule)
#   t5_unigram_bytes.model  the same plus --byte_fallback=true
#   t5_unigram_plain.model  identity normalization (no charsmap), no dummy prefix, extra whitespace kept,
#                           a user-defined symbol: exercises the other normalizer branches
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
common=(--input=t5_corpus.txt --model_type=unigram --vocab_size=400 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1
        --num_threads=1 --minloglevel=2)
spm_train "${common[@]}" --model_prefix="$work/t5_unigram"
spm_train "${common[@]}" --model_prefix="$work/t5_unigram_bytes" --byte_fallback=true
spm_train "${common[@]}" --model_prefix="$work/t5_unigram_plain" --normalization_rule_name=identity \
  --add_dummy_prefix=false --remove_extra_whitespaces=false --user_defined_symbols='<sep>'
for m in t5_unigram t5_unigram_bytes t5_unigram_plain; do
  cp "$work/$m.model" "$here/$m.model"
  spm_encode --model="$m.model" --output_format=id < t5_sentences.txt > "$work/$m.ids"
  spm_encode --model="$m.model" --output_format=piece < t5_sentences.txt > "$work/$m.pieces"
  spm_decode --model="$m.model" --input_format=id < "$work/$m.ids" > "$work/$m.decoded"
done
/usr/bin/python3 - "$work" <<'PY'
import json, subprocess, sys
work = sys.argv[1]
sentences = open("t5_sentences.txt", encoding="utf-8").read().split("\n")[:-1]
version = subprocess.run(["spm_encode", "--version"], capture_output=True, text=True).stdout.strip()
out = {"generator": f"make_t5_fixtures.sh with {version}", "models": {}}
for m in ["t5_unigram", "t5_unigram_bytes", "t5_unigram_plain"]:
    ids = open(f"{work}/{m}.ids", encoding="utf-8").read().split("\n")[:-1]
    pieces = open(f"{work}/{m}.pieces", encoding="utf-8").read().split("\n")[:-1]
    decoded = open(f"{work}/{m}.decoded", encoding="utf-8").read().split("\n")[:-1]
    assert len(ids) == len(pieces) == len(decoded) == len(sentences), m
    out["models"][m] = [
        {"text": s, "ids": [int(x) for x in i.split()], "pieces": p.split(" ") if p else [], "decoded": d}
        for s, i, p, d in zip(sentences, ids, pieces, decoded)]
json.dump(out, open("t5_expected.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
