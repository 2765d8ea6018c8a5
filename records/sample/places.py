"""Where the sample school is: a real commune of Lào Cai, written the way each school year wrote it.

On 1 July 2025 Vietnam moved to two-level local government: districts (huyện) and their education
offices (Phòng GD&ĐT) were abolished, primary and lower-secondary schools passed to the commune
People's Committee (UBND xã), and Lào Cai merged with Yên Bái under the name Lào Cai. So the
school's managing authority and every address depend on the school year: "PHÒNG GIÁO DỤC VÀ ĐÀO
TẠO HUYỆN BÁT XÁT" and "…, huyện Bát Xát, tỉnh Lào Cai" until 2024-2025, "UBND XÃ MƯỜNG HUM" and
"…, xã Mường Hum, tỉnh Lào Cai" from 2025-2026. Birth places keep the names in use at birth.

The commune and district are real; the thôn names are typical of the area but not checked against
the commune's current list, and the school is fictional.
"""

from __future__ import annotations

import random

from records.model import District, Province, SchoolYear

TWO_LEVEL_FROM = 2025  # first school year (start) under two-level local government

# Province and district codes are the GSO administrative codes (Lào Cai 10, Bát Xát 082); the
# civil-registry prefix of personal identification numbers for Lào Cai is 010.
PROVINCE = Province(code="10", name="Lào Cai")
DISTRICT = District(code="082", name="Bát Xát")
COMMUNE = "Mường Hum"
ID_PREFIX_LAO_CAI = "010"

SCHOOL_PLACE_NAME = "Suối Mây"  # fictional: the school is named after no real place

VILLAGES = (
    "Mường Hum", "Phìn Hồ", "Sin Chải", "Ná Lùng", "Séo Pờ Hồ", "Ngải Thầu", "Nậm Pẻn",
    "Trung Hồ", "Cửa Cải", "Bản Pho", "Lao Chải", "Tả Phìn",
)  # fmt: skip

# Birth place and quê quán of local children: all were born before July 2025, so under the
# district's name, as their birth certificates say.
LOCAL_PLACE = f"Xã {COMMUNE}, huyện {DISTRICT.name}, tỉnh {PROVINCE.name}"

# Where lowland Kinh families come from: quê quán as the birth certificate says.
LOWLAND_HOME_TOWNS = (
    "Huyện Lâm Thao, tỉnh Phú Thọ",
    "Huyện Hải Hậu, tỉnh Nam Định",
    "Huyện Vũ Thư, tỉnh Thái Bình",
    "Huyện Văn Yên, tỉnh Yên Bái",
    "Thành phố Lào Cai, tỉnh Lào Cai",
)


def two_level(year: SchoolYear) -> bool:
    return year.start >= TWO_LEVEL_FROM


def authority(year: SchoolYear) -> str:
    """Tên cơ quan chủ quản on the school's documents in that school year."""
    if two_level(year):
        return f"UBND XÃ {COMMUNE.upper()}"
    return f"PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN {DISTRICT.name.upper()}"


def commune_line(year: SchoolYear) -> str:
    """The commune and what it belongs to, as an address ends in that school year."""
    if two_level(year):
        return f"xã {COMMUNE}, tỉnh {PROVINCE.name}"
    return f"xã {COMMUNE}, huyện {DISTRICT.name}, tỉnh {PROVINCE.name}"


def address(rng: random.Random, year: SchoolYear) -> str:
    return f"Thôn {rng.choice(VILLAGES)}, {commune_line(year)}"
