"""Independent Python reference for the zoo's tiny CLIP BPE (OrtDiffusion.TinyModels/Tokenizer).

Trains byte-level BPE merges from the zoo's prompt corpus with the rule the zoo documents (CLIP's
pre-tokenisation, byte alphabet, '</w>' on the last symbol, most frequent adjacent pair first, ties broken
by the smaller (left, right) in code-point order, until every word is one symbol), lays the vocabulary out
as CLIP's (256 bytes, the same with '</w>', merges, <|startoftext|>, <|endoftext|>), and encodes a few
prompts with CLIP's lowest-rank-first BPE. Writes Fixtures/tinymodels/tiny_bpe_expected.json.

Run with Debian's interpreter (needs python3-regex):
  /usr/bin/python3 tests/OrtDiffusion.Tests/TinyModels/Reference/tiny_bpe_reference.py
"""
import hashlib
import json
import os
import re
from collections import Counter

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
CORPUS = os.path.join(REPO, "src", "OrtDiffusion.TinyModels", "Tokenizer", "prompt_corpus.txt")
OUT = os.path.join(REPO, "tests", "OrtDiffusion.Tests", "Fixtures", "tinymodels", "tiny_bpe_expected.json")

PATTERN = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)
PROMPTS = [
    "a photo of a cat",
    "an astronaut riding a horse on the moon",
    "A watercolor painting of a lighthouse at sunset",
    "a zebra, 3 kittens & a quokka!",
]


def byte_alphabet():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    symbol = {b: chr(b) for b in printable}
    order = list(printable)
    extra = 0
    for b in range(256):
        if b not in symbol:
            symbol[b] = chr(256 + extra)
            extra += 1
            order.append(b)
    return symbol, [symbol[b] for b in order]


SYMBOL, ALPHABET = byte_alphabet()


def words_of(text):
    text = re.sub(r"\s+", " ", text).strip().lower()
    return PATTERN.findall(text)


def spell(word):
    chars = [SYMBOL[b] for b in word.encode("utf-8")]
    return tuple(chars[:-1]) + (chars[-1] + "</w>",)


def merge_word(word, pair):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train(lines):
    counts = Counter(w for line in lines for w in words_of(line))
    vocab = {spell(w): c for w, c in counts.items()}
    merges = []
    while True:
        pairs = Counter()
        for word, c in vocab.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += c
        if not pairs:
            return merges
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        vocab = {merge_word(w, best): c for w, c in vocab.items()}


def encode(text, ranks, ids):
    out = [ids["<|startoftext|>"]]
    for token in words_of(text):
        word = spell(token)
        while len(word) > 1:
            pair = min(zip(word, word[1:]), key=lambda p: ranks.get(p, float("inf")))
            if pair not in ranks:
                break
            word = merge_word(word, pair)
        out.extend(ids[s] for s in word)
    out.append(ids["<|endoftext|>"])
    return out


def main():
    with open(CORPUS, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    merges = train(lines)
    tokens = ALPHABET + [s + "</w>" for s in ALPHABET] + [a + b for a, b in merges] + ["<|startoftext|>", "<|endoftext|>"]
    ids = {t: i for i, t in enumerate(tokens)}
    ranks = {m: i for i, m in enumerate(merges)}
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    corpus_words = sorted({w for line in lines for w in words_of(line)})
    result = {
        "vocab_size": len(tokens),
        "merge_count": len(merges),
        "merges_txt_sha256": hashlib.sha256(merges_txt.encode("utf-8")).hexdigest(),
        "first_merges": [f"{a} {b}" for a, b in merges[:10]],
        "corpus_words": corpus_words,
        "cases": [{"text": p, "ids": encode(p, ranks, ids)} for p in PROMPTS],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(merges)} merges, vocabulary {len(tokens)}, wrote {OUT}")


if __name__ == "__main__":
    main()
