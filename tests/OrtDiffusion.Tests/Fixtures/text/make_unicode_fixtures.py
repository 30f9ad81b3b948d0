#!/usr/bin/python3
"""Writes python_lower.json: every code point whose Python str.lower() differs from itself
(Python 3.11, Unicode 14.0), plus the code points Python's str.isspace() accepts. The C#
PythonText helper is checked against it exhaustively."""
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
json.dump(out, open(sys.argv[1] if len(sys.argv) > 1 else "python_lower.json", "w", encoding="utf-8"), ensure_ascii=False)
