"""Names across scripts (issue 18): what lets "王伟", "Wang Wei", "WEI Wang" and "Vương Vĩ"
meet, and what keeps 王伟 and 汪伟, or Hùng and Hưng, apart.

A name is read in its script:
- Han: toneless pinyin (pypinyin), whole and as surname + joined given name ("zhang xiaoming"),
  and its Sino-Vietnamese reading (Unihan's kVietnamese, data/han_viet.json: 王 → vương).
- Latin (Vietnamese included): folded to ASCII (rigour), tokens in any order.
- Lao: a documented romanisation (data/lao_romanisation.json).
Each reading is a sorted tuple of tokens, so word order never matters. Two names are
*compatible* (enough for an automatic merge beside a strong identifier) when written in the
same script they agree character for character, diacritics included; across scripts, when a
reading of one equals a reading of the other, or their phonetic skeletons are near."""
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from rigour.text import ascii_text, jaro_winkler, levenshtein

DATA = Path(__file__).parent / "data"
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _han_viet():
    return json.loads((DATA / "han_viet.json").read_text(encoding="utf-8"))["readings"]


@lru_cache(maxsize=1)
def _lao():
    return json.loads((DATA / "lao_romanisation.json").read_text(encoding="utf-8"))


def is_han(char):
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0003134f"


def is_lao(char):
    return "\u0e80" <= char <= "\u0eff"


@lru_cache(maxsize=65536)
def script(name):
    """"han", "lao" or "latin" (anything else is read as Latin after folding)."""
    letters = [char for char in name if char.isalpha()]
    if letters and sum(is_han(char) for char in letters) * 2 >= len(letters):
        return "han"
    if letters and sum(is_lao(char) for char in letters) * 2 >= len(letters):
        return "lao"
    return "latin"


def clean(name):
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def _fold(text):
    return ascii_text(text).lower()


def latin_tokens(name):
    return tuple(token for token in _TOKEN.findall(_fold(name)) if token)


def _han_chars(name):
    return [char for char in name if is_han(char)]


def han_readings(name):
    chars = _han_chars(name)
    if not chars:
        return set()
    syllables = [s for s in lazy_pinyin("".join(chars), style=Style.NORMAL, errors="ignore") if s]
    readings = {tuple(syllables)}
    if len(syllables) > 2:  # surname + the given name written as one word: "Zhang Xiaoming"
        readings.add((syllables[0], "".join(syllables[1:])))
    if len(syllables) == 2 or len(syllables) > 2:
        readings.add(("".join(syllables),))
    viet = [_han_viet().get(char) for char in chars]
    if all(viet):
        readings.add(tuple(_fold(reading) for reading in viet))
    return readings


def lao_romanise(name):
    table = _lao()
    out, pending = [], ""
    chars = list(unicodedata.normalize("NFC", name))
    i = 0
    while i < len(chars):
        char = chars[i]
        if char in table["preposed"]:
            pending = table["vowels"][char]
        elif char in table["silent"]:
            pass
        elif char == "ອ" and out and out[-1] not in ("", " ") and not pending:
            out.append("o")  # between consonants ອ is the vowel o (ທອງ thong); at a syllable's start, silent
        elif char in table["consonants"]:
            after = chars[i + 1] if i + 1 < len(chars) else ""
            final = out and out[-1] not in (" ",) and (not after or after == " " or after in table["preposed"]
                                                       or after in table["consonants"]) and not pending
            if final and char in table["finals"] and out[-1] != "":
                out.append(table["finals"][char])
            else:
                out.append(table["consonants"][char] + pending)
                pending = ""
        elif char in table["vowels"]:
            out.append(table["vowels"][char])
        elif char.isspace():
            out.append(" ")
        else:
            out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=65536)
def readings(name):
    """Every Latin reading of a name: a frozenset of sorted token tuples."""
    name = clean(name)
    found = set()
    kind = script(name)
    if kind == "han":
        found |= {tuple(sorted(reading)) for reading in han_readings(name)}
    elif kind == "lao":
        tokens = latin_tokens(lao_romanise(name))
        if tokens:
            found.add(tuple(sorted(tokens)))
    tokens = latin_tokens(name) if kind == "latin" else ()
    if tokens:
        found.add(tuple(sorted(tokens)))
        if len(tokens) > 2:
            found.add(tuple(sorted((tokens[0], "".join(tokens[1:])))))
            found.add(tuple(sorted(("".join(tokens[:-1]), tokens[-1]))))
        if len(tokens) >= 2:
            found.add(("".join(tokens),))
    return frozenset(found)


_SKELETON = [("ph", "p"), ("th", "t"), ("kh", "k"), ("ch", "c"), ("x", "s"), ("z", "s"), ("ou", "u"),
             ("oo", "o"), ("ee", "i"), ("y", "i"), ("w", "v"), ("j", "c"), ("q", "c"), ("gn", "n")]


@lru_cache(maxsize=65536)
def skeleton(tokens):
    """A coarse phonetic key of a reading: spellings of one sound made one (French- or
    English-style romanisations of Lao and Vietnamese names meet)."""
    text = " ".join(tokens)
    for old, new in _SKELETON:
        text = text.replace(old, new)
    text = re.sub(r"h\b", "", text)
    text = re.sub(r"([^aeiou ])e\b", r"\1", text)  # a French mute e: Somphone = Somphon
    return re.sub(r"(.)\1+", r"\1", text)


@lru_cache(maxsize=65536)
def block_keys(name):
    """Keys under which a name is looked up: every reading, as sorted tokens, its phonetic
    skeleton, and the first three letters of each of its words; a bridged reading (a guess at
    the pinyin behind a Vietnamese reading) as its tokens only, since guesses are many."""
    own = readings(name)
    return frozenset({" ".join(reading) for reading in own | bridged_readings(name)}
                     | {"~" + skeleton(reading) for reading in own}
                     # a typo past the third letter of a word still meets: "Hunq" and "Hung" share "hun"
                     | {"^" + " ".join(sorted(token[:3] for token in reading)) for reading in own if len(reading) > 1})


@lru_cache(maxsize=65536)
def _spellings(name):
    """(own, bridged): a name's readings as text, each with its skeleton; computed once per
    name, since resolution compares one name with many."""
    def spelled(found):
        return frozenset((" ".join(reading), skeleton(reading)) for reading in found)
    return spelled(readings(name)), spelled(bridged_readings(name) - readings(name))


def similarity(a, b):
    """0…1: the best Jaro-Winkler similarity of a reading of `a` with one of `b`, on the sorted
    tokens and on their phonetic skeletons. A bridged reading (a Latin name read back into
    pinyin) meets the other name's own readings only: two guesses never meet each other."""
    (own_a, bridged_a), (own_b, bridged_b) = _spellings(a), _spellings(b)
    texts_a, texts_b = {text for text, _ in own_a | bridged_a}, {text for text, _ in own_b | bridged_b}
    if texts_a & texts_b:
        return 1.0
    best = 0.0
    for left, right in ((own_a, own_b), (own_a, bridged_b), (bridged_a, own_b)):
        for text_l, skeleton_l in left:
            for text_r, skeleton_r in right:
                best = max(best, jaro_winkler(text_l, text_r), jaro_winkler(skeleton_l, skeleton_r) * 0.98)
    return best


def near(a, b):
    """Whether two names read alike but for one slip: a reading of each (a bridged one meeting
    only an own one) with the same words but one, and that one a letter off ("Hunq" for "Hung",
    "Phuong" for "Phuong"). What a name-only candidate needs: Nguyen Van Hung and Nguyen Van Hai
    are alike by Jaro-Winkler, and two people."""
    (own_a, bridged_a), (own_b, bridged_b) = _spellings(a), _spellings(b)
    for left, right in ((own_a, own_b), (own_a, bridged_b), (bridged_a, own_b)):
        for text_l, _ in left:
            for text_r, _ in right:
                if text_l == text_r:
                    return True
                words_l, words_r = text_l.split(), text_r.split()
                if len(words_l) != len(words_r):
                    continue
                differ = [(x, y) for x, y in zip(words_l, words_r, strict=True) if x != y]
                if len(differ) == 1 and levenshtein(*differ[0]) <= 1:
                    return True
    return False


@lru_cache(maxsize=65536)
def _same_script_form(name):
    """A name as written, for comparison within its script: Han characters in order (with
    traditional ones made simplified where pinyin cannot tell), or Latin tokens with their
    diacritics, in any order."""
    kind = script(name)
    if kind == "han":
        return kind, "".join(_han_chars(name))
    tokens = _TOKEN.findall(clean(name).casefold())
    return kind, tuple(sorted(tokens))


def comparable(a, b):
    """Whether two names are written alike enough that differing means two people: both in
    Han, both in Lao, both Latin with their tone marks, or both plain Latin."""
    kind_a, kind_b = script(a), script(b)
    if kind_a != kind_b:
        return False
    return kind_a != "latin" or has_diacritics(a) == has_diacritics(b)


@lru_cache(maxsize=1)
def _viet_to_pinyin():
    """Sino-Vietnamese syllable → the pinyin syllables of the characters read so: a name
    written as a Vietnamese officer hears a Chinese one (Đặng Minh Đông) meets its pinyin
    (Deng Mingdong) without its characters."""
    table = {}
    for char, reading in _han_viet().items():
        pinyin = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
        if pinyin:
            table.setdefault(_fold(reading), set()).add(pinyin[0])
    return {syllable: sorted(found) for syllable, found in table.items()}


@lru_cache(maxsize=65536)
def bridged_readings(name, most=8):
    """Pinyin readings a Latin name might be the Sino-Vietnamese reading of (at most `most`):
    for finding candidates only, never for merging."""
    tokens = latin_tokens(name)
    if not tokens or len(tokens) > 4 or script(name) != "latin":
        return frozenset()
    options = [_viet_to_pinyin().get(token) for token in tokens]
    if not all(options):
        return frozenset()
    found = [()]
    for choices in options:
        found = [done + (choice,) for done in found for choice in choices][:most]
    out = set()
    for reading in found:
        out.add(tuple(sorted(reading)))
        if len(reading) > 2:
            out.add(tuple(sorted((reading[0], "".join(reading[1:])))))
        out.add(("".join(reading),))
    return frozenset(out)


@lru_cache(maxsize=65536)
def has_diacritics(name):
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", name)) or \
        any(c in "đĐ" for c in name)


def compatible(a, b):
    """Whether two names may be the same person's, strictly enough to merge on a strong
    identifier without an analyst: 王伟 ≠ 汪伟 ≠ 王薇, Hùng ≠ Hưng, Wang Wei = WEI Wang = 王伟."""
    a, b = clean(a), clean(b)
    if not a or not b:
        return False
    (kind_a, form_a), (kind_b, form_b) = _same_script_form(a), _same_script_form(b)
    if kind_a == kind_b == "han":
        return form_a == form_b
    if kind_a == kind_b == "latin" and has_diacritics(a) and has_diacritics(b):
        return form_a == form_b  # both written in full: a different tone mark is a different name
    if kind_a == kind_b and form_a == form_b:
        return True
    if readings(a) & readings(b):
        return True
    if "lao" in (kind_a, kind_b) and kind_a != kind_b:  # spelled by ear: the sounds must agree
        return bool({skeleton(r) for r in readings(a)} & {skeleton(r) for r in readings(b)})
    return False  # a typo or a near name is for an analyst to judge, never merged unseen
