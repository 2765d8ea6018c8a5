"""Vietnamese text hygiene: NFC normalisation and detection of legacy-encoded text.

Two real-world problems reach us from schools' spreadsheets:

- *NFD* ("Unicode tổ hợp"): letters typed as a base letter plus combining marks. It looks right on
  screen but renders broken in PDFs and compares unequal to the same name typed in NFC. We convert
  it (NFC) and warn.
- *Legacy encodings*: text typed with the TCVN3 (ABC) or VNI keyboard/font pairs, stored as the
  Latin-1 characters that share their byte values ("Hµ Néi" for "Hà Nội", "Nguyeãn" for
  "Nguyễn"). That is mojibake, and guessing a conversion silently is not safe: we reject it.

Detection has to stay silent on every correct name, including ethnic-minority names written in
Vietnamese letters and foreign words. So it works per word and only flags a word when *the word
itself is not a Vietnamese syllable, but reading it as TCVN3 or VNI bytes gives one*: "Néi" is not
a syllable, its TCVN3 reading "Nội" is; "Hoà" is a (valid) syllable, so it is never flagged even
though it is also VNI for "Hồ". Words made of ASCII only, or containing any letter beyond Latin-1
(ă, đ, ơ, ư, ạ…), cannot be legacy bytes and are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from enum import StrEnum
from functools import lru_cache


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def needs_nfc(text: str) -> bool:
    """True for text that is not in NFC, typically NFD input (base letter + combining marks)."""
    return not text.isascii() and not unicodedata.is_normalized("NFC", text)


class LegacyEncoding(StrEnum):
    TCVN3 = "TCVN3 (ABC)"
    VNI = "VNI"


# ---------------------------------------------------------------- Vietnamese syllables

_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_STOP_TONES = frozenset("\u0301\u0323")  # the only tones a syllable ending in p/t/c/ch can carry

_INITIALS = (
    "ngh",
    "ng",
    "nh",
    "gh",
    "gi",
    "kh",
    "ph",
    "th",
    "tr",
    "ch",
    "qu",
    "b",
    "c",
    "d",
    "đ",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "q",
    "r",
    "s",
    "t",
    "v",
    "x",
    "",
)

# Every rhyme (vần) of standard Vietnamese, without tone. Kept explicit rather than generated so
# that nothing outside the language (e.g. "ei", "uôn" spelled "uon") slips in.
_RHYMES = frozenset(
    """
    a ai ao au ay âu ây e eo ê êu i ia iu o oa oai oao oay oe oeo oi ô ôi ơ ơi u ua uây uê ui uy
    uya uyu uơ uôi ư ưa ưi ưu ươi ươu y yêu iêu
    am ăm âm em êm im om ôm ơm um ưm iêm yêm uôm ươm oam oăm
    an ăn ân en ên in on ôn ơn un ưn iên yên uôn ươn oan oăn oen uân uyên uyn
    ang ăng âng eng ong ông ung ưng iêng yêng uông ương oang oăng uâng oong
    anh ênh inh oanh uênh uynh
    ap ăp âp ep êp ip op ôp ơp up iêp ươp oap uyp
    at ăt ât et êt it ot ôt ơt ut ưt iêt yêt uôt ươt oat oăt oet uât uyêt uyt
    ac ăc âc ec oc ôc uc ưc iêc uôc ươc oac oăc ooc
    ach êch ich oach uêch uych
    """.split()  # noqa: SIM905 -- one line per final consonant reads better than a list
)


_VOWELS = frozenset("aăâeêioôơuưy")
# Open rhymes whose tone may sit on either vowel: old "hoà, thuý, khoẻ", new "hòa, thúy, khỏe".
_EITHER_TONE = frozenset({"oa", "oe", "uy"})
_SECOND_TONE = frozenset({"uơ", "uê"})  # thuở, huế


def _tone_positions(rhyme: str) -> set[int]:
    """Where in ``rhyme`` the tone mark may be written."""
    vowels = [i for i, c in enumerate(rhyme) if c in _VOWELS]
    if rhyme[-1] not in _VOWELS or rhyme in _SECOND_TONE:
        return {vowels[-1]}  # closed rhymes: on the last vowel (hoàn, tuyết, người)
    if len(vowels) == 3:
        return {vowels[1]}  # the middle of three: hoài, người, khuỷu
    if rhyme in _EITHER_TONE:
        return set(vowels)
    return {vowels[0]}  # a glide ends the rhyme: mái, mía, của, mưa


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` is one well-formed Vietnamese syllable (any tone, lower/Title/UPPER case).

    Checks the letters, the initial consonant, the rhyme (vần), that there is at most one tone,
    that the tone stands on a vowel where Vietnamese writes it (both the old "hoà" and the new
    "hòa" placement) and that a rhyme ending in p/t/c/ch carries sắc or nặng.
    """
    if not word or not (
        word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())
    ):
        return False
    base: list[str] = []
    tone, tone_at = "", -1
    for ch in nfc(word.lower()):
        decomposed = unicodedata.normalize("NFD", ch)
        marks = [m for m in decomposed if m in _TONE_MARKS]
        if marks:
            if tone or len(marks) > 1:
                return False
            tone, tone_at = marks[0], len(base)
        base.append(nfc("".join(m for m in decomposed if m not in _TONE_MARKS)))
    letters = "".join(base)
    if not all(c in _LETTERS for c in letters):
        return False
    for initial in _INITIALS:
        rhyme = letters[len(initial) :]
        if not letters.startswith(initial) or rhyme not in _RHYMES:
            continue
        if initial == "q" and not rhyme.startswith("u"):
            continue  # q is always followed by u
        if rhyme.endswith(("p", "t", "c", "ch")) and tone not in _STOP_TONES:
            continue
        if tone and tone_at - len(initial) not in _tone_positions(rhyme):
            continue
        return True
    return False


# ---------------------------------------------------------------- legacy encodings

# TCVN 5712:1993 VN3 ("ABC"): byte → letter, for the bytes VN3 uses. Bytes are seen as the Latin-1
# characters with the same value (that is what Excel stores for text typed in a .Vn font).
_TCVN3_BYTES = (
    (0xA1, "ĂÂÊÔƠƯĐăâêôơưđ"),
    (0xB5, "àảãáạ"),
    (0xBB, "ằẳẵắ"),
    (0xC6, "ặầẩẫấậè"),
    (0xCE, "ẻẽéẹềểễếệìỉ"),
    (0xDC, "ĩíịò"),
    (0xE1, "ỏõóọồổỗốộờởỡớợù"),
    (0xF1, "ủũúụừửữứựỳỷỹýỵ"),
)
_TCVN3 = {chr(start + i): ch for start, run in _TCVN3_BYTES for i, ch in enumerate(run)}

# VNI Windows: a base vowel followed by a mark character; the mark carries the vowel quality
# (circumflex, breve) and/or the tone. Lower-case marks first, the upper-case ones after.
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # sắc, huyền, hỏi, ngã, nặng
_VNI_MARKS: dict[str, tuple[str, str]] = {}
for _marks in ("ùøûõïâáàåãäêéèúüë", "ÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË"):
    for _mark, _quality, _tone in zip(
        _marks,
        ["", "", "", "", "", *[_CIRCUMFLEX] * 6, *[_BREVE] * 6],
        [*_TONES, "", *_TONES, "", *_TONES],
        strict=True,
    ):
        _VNI_MARKS[_mark] = (_quality, _tone)
_VNI_BASES = {c: c for c in "aeouyAEOUY"} | {
    "ô": "o" + _HORN,
    "ö": "u" + _HORN,
    "Ô": "O" + _HORN,
    "Ö": "U" + _HORN,
}
_VNI_SINGLE = {
    "ñ": "đ",
    "Ñ": "Đ",
    "æ": "ỉ",
    "Æ": "Ỉ",
    "ó": "ĩ",
    "Ó": "Ĩ",
    "ò": "ị",
    "Ò": "Ị",
    "î": "ỵ",
    "Î": "Ỵ",
    "ô": "ơ",
    "Ô": "Ơ",
    "ö": "ư",
    "Ö": "Ư",
}


def from_tcvn3(text: str) -> str:
    """Read text as TCVN3 (ABC) bytes that were decoded as Latin-1."""
    return "".join(_TCVN3.get(c, c) for c in text)


def from_vni(text: str) -> str:
    """Read text as VNI Windows bytes that were decoded as Latin-1."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if c in _VNI_BASES and nxt in _VNI_MARKS:
            quality, tone = _VNI_MARKS[nxt]
            base = _VNI_BASES[c]
            horned = len(base) > 1
            fits = (
                not quality
                or (quality == _CIRCUMFLEX and c in "aeoAEO")
                or (quality == _BREVE and c in "aA")
            )
            if fits and not (horned and quality):
                out.append(nfc(base + quality + tone))
                i += 2
                continue
        out.append(_VNI_SINGLE.get(c, c))
        i += 1
    return nfc("".join(out))


# Words are split on whitespace and ASCII punctuation/digits only: the Latin-1 symbols TCVN3 uses
# as letters (µ ¸ ¨ « and the soft hyphen for "ư") must stay inside their words.
_WORD_SPLIT = re.compile(r"[\s0-9!-/:-@\[-`{-~]+")


def _candidate_words(text: str) -> list[str]:
    words: list[str] = []
    for w in _WORD_SPLIT.split(text):
        if w and not w.isascii() and all(ord(c) <= 0xFF for c in w):
            words.append(w)
            if w[0] == "«" or w[-1] == "»":  # also read as quoted: «Tèt» is "Tốt" in quotes
                words.append(w.removeprefix("«").removesuffix("»"))
    return [w for w in words if w]


_DECODERS = ((LegacyEncoding.TCVN3, from_tcvn3), (LegacyEncoding.VNI, from_vni))


@lru_cache(maxsize=8192)  # places, comments and titles repeat across thousands of students
def legacy_encoding(text: str) -> LegacyEncoding | None:
    """The legacy encoding ``text`` was typed in, or None when it reads as proper Unicode."""
    if text.isascii():
        return None
    votes: Counter[LegacyEncoding] = Counter()
    for word in _candidate_words(nfc(text)):
        if is_vietnamese_syllable(word):
            continue
        for encoding, decode in _DECODERS:
            # TCVN3 has no upper-case toned letters (capitals come from a second font), so the
            # reading is judged without its case.
            if is_vietnamese_syllable(decode(word).lower()):
                votes[encoding] += 1
    if not votes:
        return None
    return max(votes, key=lambda e: (votes[e], e is LegacyEncoding.TCVN3))


def decode_legacy(text: str, encoding: LegacyEncoding) -> str:
    """What ``text`` most likely says, read in ``encoding`` (shown to users as a hint only)."""
    return from_tcvn3(text) if encoding is LegacyEncoding.TCVN3 else from_vni(text)


def vn_number(value: object) -> str:
    """A number as Vietnamese documents write it: decimal comma (8,5)."""
    return str(value).replace(".", ",")
