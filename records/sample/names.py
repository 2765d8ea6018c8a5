"""Synthetic personal names for Lào Cai: Kinh names and the ethnic minorities' naming customs.

Every name is drawn from one :class:`NamePool`, and the pool says which ethnicity (dân tộc) the
person is recorded with, so name and ``Student.ethnicity`` always agree. Pools follow each group's
custom, not just its surnames:

- Kinh: họ + đệm + tên, đệm "Văn"/"Thị" or a modern one ("Minh", "Ngọc", "Gia", …).
- Mông (H'Mông): clan surname (Giàng, Sùng, Vàng, Thào, …); boys "A" or "Seo" as middle name
  ("Giàng A Páo", "Thào Seo Chứ"), girls "Thị" ("Sùng Thị Mai"); "Mỷ" is a girl's given name
  ("Vàng Thị Mỷ").
- Dao (Dao đỏ): Tẩn, Phàn, Chảo, Triệu, Bàn, …; boys "Láo"/"Văn" ("Tẩn Láo Lở", "Chảo Văn Phin"),
  girls "Thị"/"Tả" ("Phàn Thị Mẩy", "Tẩn Tả Mẩy").
- Tày, Nùng, Giáy, Hà Nhì, Phù Lá (and its Xa Phó local group): their own surnames, Văn/Thị and a
  mix of local and Kinh given names, as children's names are today.

``Student.ethnicity`` uses the official list of 54 ethnic groups: "Mông" (not "H'Mông"), and Xa Phó
children are recorded as "Phù Lá", of which Xa Phó is a local group. All names are synthetic: any
resemblance to a real person is chance. All strings here are NFC.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from records.model import Gender

Weighted = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class NamePool:
    """How one ethnic group (or local group) names its children."""

    ethnicity: str  # dân tộc as recorded (official list of 54)
    group: str  # the group as people call it locally; differs for H'Mông and Xa Phó
    surnames: Weighted
    male_middles: Weighted
    female_middles: Weighted
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]

    def given_names(self, gender: Gender) -> tuple[str, ...]:
        return self.male_given if gender is Gender.NAM else self.female_given

    def middles(self, gender: Gender) -> Weighted:
        return self.male_middles if gender is Gender.NAM else self.female_middles


# Name data reads best as dense rows, not one name per line.
# fmt: off
_KINH_MALE_GIVEN = (
    "An", "Bảo", "Cường", "Dũng", "Duy", "Đạt", "Đăng", "Hải", "Hiếu", "Hoàng", "Huy", "Hùng",
    "Khang", "Khánh", "Khoa", "Khôi", "Kiên", "Lâm", "Long", "Mạnh", "Minh", "Nam", "Nghĩa",
    "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn", "Tùng", "Việt",
    "Vinh",
)
_KINH_FEMALE_GIVEN = (
    "Anh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hân", "Hằng", "Hiền", "Hoa", "Huyền", "Hương",
    "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quỳnh",
    "Thảo", "Trang", "Trâm", "Uyên", "Vy", "Yến",
)
_VAN: Weighted = (("Văn", 1),)
_THI: Weighted = (("Thị", 1),)


KINH = NamePool(
    "Kinh",
    "Kinh",
    surnames=(
        ("Nguyễn", 30), ("Trần", 10), ("Lê", 8), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 5),
        ("Phan", 3), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Ngô", 2), ("Dương", 2), ("Đinh", 2),
        ("Hà", 2), ("Lương", 1),
    ),
    male_middles=(
        ("Văn", 6), ("Đức", 3), ("Minh", 3), ("Quang", 2), ("Gia", 2), ("Bảo", 2), ("Hữu", 1),
        ("Tiến", 1), ("Thành", 1), ("Trung", 1),
    ),
    female_middles=(
        ("Thị", 6), ("Ngọc", 2), ("Thu", 2), ("Thanh", 2), ("Khánh", 2), ("Minh", 2), ("Bảo", 1),
        ("Phương", 1), ("Hải", 1),
    ),
    male_given=_KINH_MALE_GIVEN,
    female_given=_KINH_FEMALE_GIVEN,
)

MONG = NamePool(
    "Mông",
    "H'Mông",
    surnames=(
        ("Giàng", 5), ("Sùng", 4), ("Vàng", 4), ("Thào", 4), ("Lý", 3), ("Hầu", 2), ("Mùa", 2),
        ("Lù", 2), ("Cứ", 1), ("Tráng", 1),
    ),
    male_middles=(("A", 6), ("Seo", 3), ("Văn", 2)),
    female_middles=_THI,
    male_given=(
        "Páo", "Chứ", "Sử", "Dình", "Lử", "Dế", "Tủa", "Sình", "Pháng", "Thề", "Lồng", "Chúng",
        "Khua", "Nhè", "Chả", "Chinh", "Dũng", "Hùng", "Minh",
    ),
    female_given=(
        "Mai", "Dung", "Mỷ", "Dợ", "Chư", "Sinh", "Say", "Mò", "Pà", "Máy", "Lan", "Hoa", "Chía",
        "Dua",
    ),
)

DAO = NamePool(
    "Dao",
    "Dao",
    surnames=(
        ("Tẩn", 4), ("Lý", 3), ("Phàn", 3), ("Triệu", 3), ("Chảo", 3), ("Bàn", 3), ("Đặng", 2),
    ),
    male_middles=(("Văn", 5), ("Láo", 3)),
    female_middles=(("Thị", 5), ("Tả", 3)),
    male_given=(
        "Lở", "Phin", "Sử", "Vần", "Quẩy", "Chàn", "Pu", "Lìn", "Dùn", "Phẩu", "Sành", "Tà", "Sơn",
        "Hùng", "Chiêu", "Lai",
    ),
    female_given=("Mẩy", "Xuân", "Mùi", "Nái", "Xinh", "Sinh", "Liên", "Duyên", "Hoa"),
)

TAY = NamePool(
    "Tày",
    "Tày",
    surnames=(
        ("Hoàng", 4), ("Nông", 3), ("Lục", 2), ("Vi", 2), ("Hà", 2), ("Ma", 2), ("Lương", 2),
        ("Đàm", 1), ("La", 1),
    ),
    male_middles=(("Văn", 6), ("Đức", 1), ("Minh", 1)),
    female_middles=(("Thị", 6), ("Thu", 1), ("Ngọc", 1)),
    male_given=_KINH_MALE_GIVEN,
    female_given=_KINH_FEMALE_GIVEN,
)

NUNG = NamePool(
    "Nùng",
    "Nùng",
    surnames=(("Sần", 3), ("Hoàng", 3), ("Nông", 3), ("Vi", 2), ("Lù", 2), ("Thèn", 2), ("Lục", 2)),
    male_middles=_VAN,
    female_middles=_THI,
    male_given=_KINH_MALE_GIVEN,
    female_given=_KINH_FEMALE_GIVEN,
)

GIAY = NamePool(
    "Giáy",
    "Giáy",
    surnames=(("Lò", 3), ("Lù", 3), ("Hoàng", 3), ("Vàng", 2), ("Sần", 1), ("Giàng", 1)),
    male_middles=_VAN,
    female_middles=_THI,
    male_given=(*_KINH_MALE_GIVEN, "Chiến", "Pẩu", "Sinh"),
    female_given=(*_KINH_FEMALE_GIVEN, "Thắm", "Xuyến"),
)

HA_NHI = NamePool(
    "Hà Nhì",
    "Hà Nhì",
    surnames=(
        ("Chu", 4), ("Lý", 3), ("Phu", 2), ("Sừ", 2), ("Pờ", 1), ("Lỳ", 1), ("Hầu", 1), ("Má", 1),
    ),
    male_middles=_VAN,
    female_middles=_THI,
    male_given=("Sơn", "Giờ", "Hừ", "Ga", "Tư", "Phà", "Dũng", "Hùng", "Thắng"),
    female_given=("Mơ", "Chà", "Xá", "Gió", "Mai", "Lan", "Hoa", "Ngân"),
)

PHU_LA = NamePool(
    "Phù Lá",
    "Phù Lá",
    surnames=(("Vàng", 3), ("Ma", 2), ("Lù", 2), ("Thào", 2), ("Lò", 1)),
    male_middles=(("Văn", 3), ("Seo", 1)),
    female_middles=_THI,
    male_given=("Sơn", "Sáng", "Dùng", "Lâm", "Hùng", "Chiến", "Páo"),
    female_given=("Mai", "Hoa", "Dung", "Lan", "Say", "Pà"),
)

XA_PHO = NamePool(
    "Phù Lá",
    "Xa Phó",
    surnames=(("Lò", 2), ("Bàn", 2), ("Hoàng", 1), ("Lý", 1)),
    male_middles=_VAN,
    female_middles=_THI,
    male_given=("Sơn", "Thành", "Tiến", "Dũng", "Hùng", "Lâm"),
    female_given=("Mai", "Lan", "Hoa", "Hương", "Liên", "Thu"),
)

POOLS: tuple[NamePool, ...] = (KINH, MONG, DAO, TAY, NUNG, GIAY, HA_NHI, PHU_LA, XA_PHO)

# Children of a mountain commune in Bát Xát (Mường Hum): mostly Mông, Dao, Giáy and Hà Nhì, with
# Kinh families in the commune centre. Teachers are mostly Kinh and Tày from the lowlands, with a
# growing share of local minority teachers.
STUDENT_MIX: tuple[tuple[NamePool, int], ...] = (
    (MONG, 30), (DAO, 22), (GIAY, 16), (KINH, 12), (HA_NHI, 8), (TAY, 4), (NUNG, 3), (PHU_LA, 3),
    (XA_PHO, 2),
)
TEACHER_MIX: tuple[tuple[NamePool, int], ...] = (
    (KINH, 55), (TAY, 12), (GIAY, 8), (MONG, 10), (DAO, 10), (NUNG, 5),
)
# fmt: on


def pick(rng: random.Random, weighted: Weighted) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def draw_pool(rng: random.Random, mix: Sequence[tuple[NamePool, int]]) -> NamePool:
    return rng.choices([p for p, _ in mix], weights=[w for _, w in mix])[0]


def draw_name(
    rng: random.Random, pool: NamePool, gender: Gender, *, surname: str | None = None
) -> str:
    """A full name "Họ Đệm Tên" by the pool's custom; ``surname`` fixes the họ (a father's)."""
    family = surname or pick(rng, pool.surnames)
    while True:
        middle = pick(rng, pool.middles(gender))
        given = rng.choice(pool.given_names(gender))
        if given not in (middle, family):  # no "Minh Minh", no "Hoàng … Hoàng"
            return f"{family} {middle} {given}"


def surname_of(full_name: str) -> str:
    return full_name.split(" ", 1)[0]


def given_of(full_name: str) -> str:
    return full_name.rsplit(" ", 1)[-1]


# ---------------------------------------------------------------- Vietnamese alphabetical order

# Letters in Vietnamese alphabetical order; a class list is sorted by given name, then by the rest.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Vowel modifiers (breve, circumflex, horn) make a new letter; tone marks only break ties.
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Tones after the letters: ngang, huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}

Key = tuple[tuple[int, ...], ...]


def _word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in word.lower():
        decomposed = unicodedata.normalize("NFD", ch)
        base, tone = decomposed[0], 0
        for mark in decomposed[1:]:
            base = _MODIFIED.get((base, mark), base)
            tone = _TONES.get(mark, tone)
        # letters outside the Vietnamese alphabet (f, j, w, z) sort after it, by code point
        letters.append(_LETTER_RANK.get(base, len(_ALPHABET) + ord(base)))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def roll_order_key(full_name: str) -> Key:
    """Sort key for a class list, as schools sort it: by given name, then surname and middle name.

    Each part compares by letters first, tones only on a tie ("Anh" < "Ánh" < "Bảo").
    """
    *rest, given = full_name.split()
    given_letters, given_tones = _word_key(given)
    rest_keys = [_word_key(w) for w in rest]
    return (
        given_letters,
        given_tones,
        *(k[0] for k in rest_keys),
        (-1,),  # end of the letters, so a shorter name sorts first
        *(k[1] for k in rest_keys),
    )
