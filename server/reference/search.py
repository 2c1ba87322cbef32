"""Search keys published with reference data, so that phones find Chinese names typed in
pinyin ("dong xing", "dongxing" → 东兴) without a dictionary of their own. Latin and
Vietnamese text needs no key: phones fold diacritics and case themselves (pwa/src/search.js)."""
import re

from pypinyin import Style, lazy_pinyin

_HAN = re.compile("[\u3400-\u9fff]")


def pinyin(text):
    """The Han characters of `text` in toneless pinyin, syllables separated by spaces
    ("东兴口岸" → "dong xing kou an"), or None when it has none."""
    if not text or not _HAN.search(text):
        return None
    return " ".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


def pinyin_keys(*texts):
    """Distinct pinyin of each text that has Han characters, in order."""
    keys = []
    for text in texts:
        key = pinyin(text)
        if key and key not in keys:
            keys.append(key)
    return keys
