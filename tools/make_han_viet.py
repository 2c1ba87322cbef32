"""Writes server/intel/data/han_viet.json: the Sino-Vietnamese reading of each Han character
(Unihan's kVietnamese), for matching a Chinese name with its Vietnamese form (王伟 → Vương Vĩ).
A simplified character without a reading of its own takes its traditional variant's
(Unihan's kTraditionalVariant: 伟 → 偉 → vĩ).

Source: the Unicode Character Database's Unihan files as Debian's package unicode-data ships
them (/usr/share/unicode/Unihan_Readings.txt.bz2, Unihan_Variants.txt.bz2):

    apt-get install unicode-data && .venv/bin/python tools/make_han_viet.py
"""
import bz2
import re
import json
import sys
from pathlib import Path

UNIHAN = Path("/usr/share/unicode")
TARGET = Path(__file__).resolve().parents[1] / "server" / "intel" / "data" / "han_viet.json"


def _fields(name, field):
    with bz2.open(UNIHAN / name, "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[1] == field:
                yield chr(int(parts[0][2:], 16)), parts[2]


def main():
    readings = {char: value.split()[0] for char, value in _fields("Unihan_Readings.txt.bz2", "kVietnamese")}
    for char, variants in _fields("Unihan_Variants.txt.bz2", "kTraditionalVariant"):
        if char not in readings:
            found = [readings[chr(int(v[2:], 16))] for v in variants.split() if chr(int(v[2:], 16)) in readings]
            if found:
                readings[char] = found[0]
    readme = (UNIHAN / "ReadMe.txt").read_text(encoding="utf-8", errors="replace")
    release = re.search(r"Version (\d+\.\d+\.\d+)", readme)
    release = f"Unicode {release[1]}" if release else "unknown version"
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps({
        "source": f"Unicode Unihan database (kVietnamese, kTraditionalVariant), {release}, from Debian's "
                  "unicode-data package; written by tools/make_han_viet.py",
        "readings": dict(sorted(readings.items())),
    }, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(readings)} readings -> {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
