"""The school's staff: principal, vice principals, homeroom and subject teachers; who teaches what.

Assignments follow how a Lào Cai multi-level school is staffed:
- primary: each class has its own homeroom teacher who teaches the core subjects; English, Tin học,
  physical education, music and fine arts have specialist teachers ("Tin học và Công nghệ" is
  shared: Tin học by the specialist, Công nghệ by the homeroom teacher);
- THCS: a teacher is trained in one or two subjects and teaches them across several classes;
  integrated subjects are shared (Lịch sử và Địa lí by a history and a geography teacher, KHTN by
  physics, chemistry and biology teachers, Nghệ thuật by a music and an art teacher); the homeroom
  teacher is one of the class's subject teachers and also leads its Hoạt động trải nghiệm,
  hướng nghiệp.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from records.model import Gender, Level, SchoolYear, Teacher
from records.sample import places
from records.sample.curriculum import ClassPlan
from records.sample.names import TEACHER_MIX, draw_name, draw_pool
from records.sample.students import IdentityRegistry

HOMEROOM = "GVCN"  # stands for "the class's homeroom teacher" in the tables below


@dataclass(frozen=True)
class Specialism:
    name: str  # what the teacher was trained in, e.g. "Ngữ văn"
    max_classes: int  # classes one teacher can take at the weekly teaching norm


_THCS = {
    s.name: s
    for s in (
        Specialism("Ngữ văn", 4),  # Ngữ văn 4 + GDCD 1 periods a week per class
        Specialism("Toán", 4),
        Specialism("Tiếng Anh", 6),
        Specialism("Lịch sử", 7),  # half of LS&ĐL + GDĐP
        Specialism("Địa lí", 12),
        Specialism("Vật lí", 6),  # part of KHTN + Công nghệ
        Specialism("Hoá học", 12),
        Specialism("Sinh học", 12),
        Specialism("Tin học", 12),
        Specialism("Thể dục", 9),
        Specialism("Âm nhạc", 16),
        Specialism("Mĩ thuật", 16),
    )
}
_TH = {
    s.name: s
    for s in (
        Specialism("Tiếng Anh", 5),
        Specialism("Tin học", 10),
        Specialism("Thể dục", 10),
        Specialism("Âm nhạc", 20),
        Specialism("Mĩ thuật", 20),
    )
}
SPECIALISMS = {Level.TH: _TH, Level.THCS: _THCS}

# subject code → who teaches it, in the order they are listed on the record
TEACHING: dict[Level, dict[str, tuple[str, ...]]] = {
    Level.TH: {
        "TIENG_VIET": (HOMEROOM,),
        "TOAN": (HOMEROOM,),
        "NN1": ("Tiếng Anh",),
        "DAO_DUC": (HOMEROOM,),
        "TNXH": (HOMEROOM,),
        "LICH_SU_DIA_LI": (HOMEROOM,),
        "KHOA_HOC": (HOMEROOM,),
        "TIN_HOC_CONG_NGHE": ("Tin học", HOMEROOM),
        "GDTC": ("Thể dục",),
        "AM_NHAC": ("Âm nhạc",),
        "MI_THUAT": ("Mĩ thuật",),
        "HDTN": (HOMEROOM,),
    },
    Level.THCS: {
        "NGU_VAN": ("Ngữ văn",),
        "TOAN": ("Toán",),
        "NN1": ("Tiếng Anh",),
        "GDCD": ("Ngữ văn",),
        "LICH_SU_DIA_LI": ("Lịch sử", "Địa lí"),
        "KHTN": ("Vật lí", "Hoá học", "Sinh học"),
        "CONG_NGHE": ("Vật lí",),
        "TIN_HOC": ("Tin học",),
        "GDTC": ("Thể dục",),
        "NGHE_THUAT": ("Âm nhạc", "Mĩ thuật"),
        "HDTN_HN": (HOMEROOM,),
        "GDDP": ("Lịch sử",),
    },
}
# Whom a THCS class gets as homeroom teacher, most likely first.
_HOMEROOM_PREFERENCE = tuple(_THCS)

_EMAIL_DOMAIN = "suoimay.example"  # RFC 2606 reserved: never a real mailbox


@dataclass
class Staffing:
    teachers: list[Teacher] = field(default_factory=list)
    principal: str = ""
    vice_principals: list[str] = field(default_factory=list)
    homeroom: dict[str, str] = field(default_factory=dict)  # class id → teacher id
    # (class id, specialism) → teacher id
    specialists: dict[tuple[str, str], str] = field(default_factory=dict)

    def teachers_of(self, plan: ClassPlan, subject_code: str) -> list[str]:
        who = TEACHING[plan.level].get(subject_code, (HOMEROOM,))
        return [
            self.homeroom[plan.class_id] if w == HOMEROOM else self.specialists[(plan.class_id, w)]
            for w in who
        ]


class _Hiring:
    def __init__(self, rng: random.Random, ids: IdentityRegistry, year: SchoolYear) -> None:
        self.rng, self.ids, self.year = rng, ids, year
        self.staff = Staffing()
        self._names: set[str] = set()

    def hire(self, *, female_share: float, age: tuple[int, int] = (24, 55)) -> str:
        rng = self.rng
        pool = draw_pool(rng, TEACHER_MIX)
        gender = Gender.NU if rng.random() < female_share else Gender.NAM
        name = draw_name(rng, pool, gender)
        while name in self._names:  # two teachers with one name would confuse every signature
            name = draw_name(rng, pool, gender)
        self._names.add(name)
        birth = date(self.year.start - rng.randint(*age), 1, 1) + timedelta(rng.randrange(365))
        # Lowland-born Kinh teachers carry their home province's prefix (Yên Bái, Phú Thọ,
        # Thái Bình, Nam Định); local teachers Lào Cai's.
        prefix = places.ID_PREFIX_LAO_CAI
        if pool.ethnicity == "Kinh":
            prefix = rng.choice((prefix, prefix, "015", "025", "034", "036"))
        teacher_id = f"GV{len(self.staff.teachers) + 1:03d}"
        self.staff.teachers.append(
            Teacher(
                id=teacher_id,
                full_name=name,
                national_id=self.ids.national_id(prefix, birth, gender),
                email=f"{_ascii(name)}.{teacher_id.lower()}@{_EMAIL_DOMAIN}",
            )
        )
        return teacher_id


def staff_school(
    rng: random.Random, ids: IdentityRegistry, year: SchoolYear, plans: Sequence[ClassPlan]
) -> Staffing:
    hiring = _Hiring(rng, ids, year)
    staff = hiring.staff
    staff.principal = hiring.hire(female_share=0.4, age=(45, 56))
    # A vice principal per school, a second one for a large school.
    for _ in range(1 if len(plans) < 12 else 2):
        staff.vice_principals.append(hiring.hire(female_share=0.5, age=(38, 52)))
    for plan in plans:
        if plan.level is Level.TH:  # a primary class teacher teaches the class most of the week
            staff.homeroom[plan.class_id] = hiring.hire(female_share=0.8)
    for level, specialisms in SPECIALISMS.items():
        classes = [p for p in plans if p.level is level]
        for specialism in specialisms.values():
            _share_classes(hiring, specialism, classes, female_share=0.6)
    taken = set(staff.homeroom.values())
    for plan in plans:
        if plan.level is Level.THCS:
            teacher = _homeroom_for(staff, plan, taken) or hiring.hire(female_share=0.6)
            staff.homeroom[plan.class_id] = teacher
            taken.add(teacher)
    return staff


def _share_classes(
    hiring: _Hiring, specialism: Specialism, classes: Sequence[ClassPlan], *, female_share: float
) -> None:
    """Hire as few teachers as the norm allows and give each a run of neighbouring classes."""
    if not classes:
        return
    n_teachers = math.ceil(len(classes) / specialism.max_classes)
    teachers = [hiring.hire(female_share=female_share) for _ in range(n_teachers)]
    for i, plan in enumerate(classes):
        teacher = teachers[i * n_teachers // len(classes)]
        hiring.staff.specialists[(plan.class_id, specialism.name)] = teacher


def _homeroom_for(staff: Staffing, plan: ClassPlan, taken: set[str]) -> str | None:
    for specialism in _HOMEROOM_PREFERENCE:
        teacher = staff.specialists.get((plan.class_id, specialism))
        if teacher is not None and teacher not in taken:
            return teacher
    return None


def _ascii(name: str) -> str:
    """ "Nguyễn Thị Đào" → "nguyenthidao", for an e-mail local part."""
    bare = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in bare if ch.isascii() and ch.isalnum()).lower()
