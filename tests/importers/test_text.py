"""NFC normalisation and legacy-encoding detection on real names and real TCVN3/VNI bytes.

The legacy samples are made by *encoding* Vietnamese with TCVN3 and VNI tables written
independently of records/text.py (tests/importers/legacy.py), then decoding the bytes as
Windows-1252, as Excel stores text typed in a .Vn or VNI- font. Detection must be silent on every
correct name and flag every legacy one that any reader could tell apart.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.legacy import LETTERS, tcvn3, vni
from records.findings import CODES
from records.rules import TT22, TT27
from records.text import (
    LegacyEncoding,
    decode_legacy,
    from_tcvn3,
    from_vni,
    is_vietnamese_syllable,
    legacy_encoding,
    needs_nfc,
    nfc,
)

# ---------------------------------------------------------------- corpora

NAMES = [
    # the ethnic-minority names of the brief, and more from Lào Cai
    "Lù Thị Mỷ",
    "Sùng A Páo",
    "Giàng Seo Chứ",
    "Hảng Thị Dua",
    "Lò Văn Pếnh",
    "Vàng A Dính",
    "Tẩn Tả Mẩy",
    "Lý Seo Dìn",
    "Tẩn Láo Lở",
    "Chảo Thị Mai",
    "Thào A Chứ",
    "Sần Thị Chiến",
    "Phàn Văn Tả",
    "Hầu A Lềnh",
    "Vừ A Dính",
    "Quàng Văn Tòng",
    "Cầm Thị Lường",
    "Lò Thị Xoè",
    "Ly Mé Pờ",
    "Lồ Văn Hờ",
    "Giàng Thị Súa",
    "Mùa A Sềnh",
    "Ma Seo Chúng",
    "Tráng A Khua",
    # Kinh names, old and new tone placement
    "Nguyễn Thị Ánh Tuyết",
    "Phạm Hoàng Yến Nhi",
    "Đặng Quốc Khánh",
    "Hoàng Thị Hồng Nhung",
    "Trần Văn Hùng",
    "Lê Thị Thu Hường",
    "Đỗ Minh Quân",
    "Vũ Thị Ngọc Ánh",
    "Bùi Đức Thắng",
    "Ngô Thị Lụa",
    "Phùng Văn Tường",
    "Hà Thị Diệu Linh",
    "Triệu Thị Xuân",
    "Nguyễn Thuỳ Dương",
    "Hoàng Thị Thuý Hằng",
    "Lương Hoà Bình",
    "Đinh Thị Khoẻ",
    "Quách Thị Quỳnh",
    "Ưng Hoàng Phúc",
    # Central Highlands names in Vietnamese letters, and foreign names
    "H'Hen Niê",
    "Y Moan Ênuôl",
    "Ksor Phước",
    "Rơ Châm Ly",
    "Mlô Duôn Du",
    "Kpă Thị Nguyệt",
    "Siu Thị Hoa",
    "Nay Phi La",
    "Müller",
    "François Dubois",
    "José Martí",
    "Zoë",
    "Renée",
    # places and school words
    "Trường PTDTBT Tiểu học và THCS Bản Xèo",
    "Xã Mường Hum, huyện Bát Xát, tỉnh Lào Cai",
    "Thôn Séo Pả Hồ",
    "Sa Pa",
    "Bắc Hà",
    "Mường Khương",
    "Si Ma Cai",
    "Thanh Hoá",
    "Khánh Hoà",
]
PHRASES = [
    "UBND XÃ BẢN XÈO",
    "SỞ GD&ĐT LÀO CAI",
    "Học sinh Xuất sắc",
    "Được lên lớp",
    "Em ngoan, lễ phép, chăm chỉ; cần mạnh dạn phát biểu hơn.",
    "Điểm 8,5 — «Tốt»",
    "Nghỉ ốm 2 buổi (có phép)",
    "khuỷu tay, ngoằn ngoèo, quần soóc, nồi xoong, huých, khuya",
]
CATALOGUE_TEXT = [s.name for s in (*TT22().subjects, *TT27().subjects)] + [
    q.name for q in (*TT27().qualities, *TT27().competences)
]
MESSAGES = [c.title for c in CODES.values()] + [c.hint for c in CODES.values()]
CORRECT = NAMES + PHRASES + CATALOGUE_TEXT + MESSAGES


# ---------------------------------------------------------------- tests


def test_the_encoders_here_and_the_decoders_in_text_py_agree_on_every_letter() -> None:
    for letter in LETTERS + LETTERS.upper():
        if letter.isupper() and letter not in "ĂÂÊÔƠƯĐ":
            assert from_tcvn3(tcvn3(letter)) == letter.lower()  # no toned capitals in TCVN3
        else:
            assert from_tcvn3(tcvn3(letter)) == letter
        assert from_vni(vni(letter)) == letter


@pytest.mark.parametrize("text", CORRECT)
def test_correct_text_is_never_taken_for_legacy(text: str) -> None:
    assert legacy_encoding(text) is None


# Names no word-level reading can flag, because every word of the legacy form is itself a
# correct word ("Chóng" is TCVN3 for "Chúng"; "Thò" is VNI for "Thị"), or because their words are
# not Vietnamese syllables at all (Highland and foreign names): these pass undetected, as they must
# rather than risk flagging correct names. Any other name in NAMES must be caught.
UNDETECTABLE = {
    LegacyEncoding.TCVN3: {"Ma Seo Chúng", "H'Hen Niê", "Y Moan Ênuôl", "José Martí", "Renée"},
    LegacyEncoding.VNI: {
        "Siu Thị Hoa",
        "H'Hen Niê",
        "Y Moan Ênuôl",
        "José Martí",
        "Renée",
        "Müller",
        "François Dubois",
        "Zoë",
    },
}
ENCODERS = {LegacyEncoding.TCVN3: tcvn3, LegacyEncoding.VNI: vni}
CASES = [(e, t) for e in LegacyEncoding for t in NAMES if ENCODERS[e](t) != t]


@pytest.mark.parametrize(("encoding", "text"), CASES)
def test_names_typed_in_a_legacy_encoding_are_caught(encoding: LegacyEncoding, text: str) -> None:
    encoded = ENCODERS[encoding](text)
    if text in UNDETECTABLE[encoding]:
        assert legacy_encoding(encoded) is None
        return
    assert legacy_encoding(encoded) is encoding, encoded
    meant = decode_legacy(encoded, encoding)
    assert meant == nfc(text) if encoding is LegacyEncoding.VNI else meant.lower() == text.lower()


def test_most_legacy_names_are_distinguishable() -> None:
    for encoding, names in UNDETECTABLE.items():
        assert len(names) <= len(NAMES) // 8, (encoding, names)


@pytest.mark.parametrize(
    ("mojibake", "meant", "encoding"),
    [
        ("Tr\u00adêng THCS Kim T©n", "Trường THCS Kim Tân", LegacyEncoding.TCVN3),
        ("Hµ Néi", "Hà Nội", LegacyEncoding.TCVN3),
        ("NguyÔn V¨n An", "Nguyễn Văn An", LegacyEncoding.TCVN3),
        ("B¸t X¸t", "Bát Xát", LegacyEncoding.TCVN3),
        ("«Tèt»", "«Tốt»", LegacyEncoding.TCVN3),
        ("Nguyeãn Vaên A", "Nguyễn Văn A", LegacyEncoding.VNI),
        ("Vieät Nam", "Việt Nam", LegacyEncoding.VNI),
        ("Ñaø Naüng", "Đà Nẵng", LegacyEncoding.VNI),
        ("TRÖÔØNG THCS", "TRƯỜNG THCS", LegacyEncoding.VNI),
    ],
)
def test_real_world_samples(mojibake: str, meant: str, encoding: LegacyEncoding) -> None:
    assert legacy_encoding(mojibake) is encoding
    if encoding is LegacyEncoding.VNI:
        assert decode_legacy(mojibake, encoding) == meant


@pytest.mark.parametrize(
    "word",
    [
        "người",
        "nghiêng",
        "quốc",
        "giữa",
        "gìn",
        "khuỷu",
        "huých",
        "xoong",
        "hoà",
        "hòa",
        "thuở",
        "Pếnh",
        "ĐỖ",
        "Quỳnh",
        "ỵ",
    ],
)
def test_syllables(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["Néi", "tèt", "baù", "hòan", "NguyÔn", "ngưuời", "Müller", "qa", "míá", "Hµ", ""],
)
def test_not_syllables(word: str) -> None:
    assert not is_vietnamese_syllable(word)


def test_nfd_is_recognised_and_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert needs_nfc(decomposed) and not needs_nfc(nfc(decomposed))
    assert nfc(decomposed) == "Nguyễn Thị Ánh"
    assert legacy_encoding(decomposed) is None  # NFD is a warning, not mojibake


_INITIALS = ["", "b", "ch", "đ", "gi", "kh", "l", "m", "ng", "nh", "ph", "qu", "s", "th", "tr", "v"]
_RHYMES = ["a", "ai", "anh", "ương", "iêt", "uôi", "oa", "ăng", "ênh", "ưu", "yên", "ôc", "oăn"]
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]


@st.composite
def syllables(draw: st.DrawFn) -> str:
    rhyme = draw(st.sampled_from(_RHYMES))
    if draw(st.sampled_from(_INITIALS)) == "qu" and rhyme.startswith(("u", "o")):
        rhyme = "a" + rhyme[1:]
    tone = draw(st.sampled_from(["\u0301", "\u0323"] if rhyme[-1] in "tc" else _TONES))
    vowels = [i for i, c in enumerate(rhyme) if c in "aăâeêioôơuưy"]
    at = vowels[-1] if rhyme[-1] not in "aăâeêioôơuưy" else vowels[len(vowels) // 2]
    word = draw(st.sampled_from(_INITIALS)) + rhyme[: at + 1] + tone + rhyme[at + 1 :]
    return nfc(word)


@given(st.lists(syllables(), min_size=1, max_size=5))
def test_generated_correct_names_are_never_flagged(words: list[str]) -> None:
    name = " ".join(w.capitalize() for w in words)
    assert legacy_encoding(name) is None
