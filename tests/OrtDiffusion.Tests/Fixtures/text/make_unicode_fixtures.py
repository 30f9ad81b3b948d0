#!/usr/bin/python3
"""Writes python_lower.json: every code point whose Python str.lower() differs from itself
(Python 3.11, Unicode 14.0), plus the code points Python's str.isspace() accepts; and nfd.json:
unicodedata.normalize("NFD") of every code point it changes (Hangul syllables sampled) and of a
few mark sequences that need canonical reordering. The C# PythonText and CanonicalDecomposition
helpers are checked against them.
Usage: make_unicode_fixtures.py [OUT_DIR]"""
import json
import sys
import unicodedata

changed = [[cp, chr(cp).lower()] for cp in range(0x110000)
           if not 0xD800 <= cp <= 0xDFFF and chr(cp).lower() != chr(cp)]
# Code points Python does not know (category Cn): a newer .NET may assign and case-map them.
unassigned = []
start = None
for cp in range(0x110001):
    cn = cp < 0x110000 and unicodedata.category(chr(cp)) == "Cn"
    if cn and start is None:
        start = cp
    elif not cn and start is not None:
        unassigned.append([start, cp - 1])
        start = None
out = {
    "python": sys.version.split()[0],
    "unicode": unicodedata.unidata_version,
    "lower_changed": changed,
    "isspace": [cp for cp in range(0x110000) if chr(cp).isspace()],
    "unassigned_ranges": unassigned,
}
out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
json.dump(out, open(f"{out_dir}/python_lower.json", "w", encoding="utf-8"), ensure_ascii=False)

nfd = [[cp, unicodedata.normalize("NFD", chr(cp))] for cp in range(0x110000)
       if not 0xD800 <= cp <= 0xDFFF and not 0xAC00 <= cp <= 0xD7A3
       and unicodedata.normalize("NFD", chr(cp)) != chr(cp)]
hangul = [[cp, unicodedata.normalize("NFD", chr(cp))] for cp in range(0xAC00, 0xD7A4, 97)] + \
         [[0xD7A3, unicodedata.normalize("NFD", chr(0xD7A3))]]
sequences = ["a\u0301\u0323", "\u1e09\u0323x", "q\u0307\u0323\u0301\u031b", "\u00c5\u0316\u05b0\u0591",
             "e\u0301\u0300\u0315\u0328 z", "\u01d5\u0330", "\u0f73\u0f75\u0f81", "\uac00\u0301"]
json.dump({"unicode": unicodedata.unidata_version, "code_points": nfd + hangul,
           "sequences": [[s, unicodedata.normalize("NFD", s)] for s in sequences]},
          open(f"{out_dir}/nfd.json", "w", encoding="utf-8"), ensure_ascii=False)
