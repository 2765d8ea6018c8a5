"""Results computed by a rule set. Never read from input; always derived from assessments."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from records.model import Pass, PrimaryLevel, QualityLevel, Rating


class PromotionOutcome(StrEnum):
    """Year-end outcome for a secondary student (TT22, Điều 12)."""

    PROMOTED = "Được lên lớp"
    # conduct or learning below Đạt: summer re-test / conduct training, then re-evaluation
    REEVALUATE = "Kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè"
    NOT_PROMOTED = "Không được lên lớp"  # e.g. absent more than 45 sessions
    COMPLETED = "Hoàn thành chương trình"  # final grade of the level, all conditions met
    NOT_COMPLETED = "Chưa hoàn thành chương trình"  # final grade, absent too long
    PENDING = "Chưa đủ dữ liệu"  # conduct/learning missing: cannot decide


class Title(StrEnum):
    """Secondary titles (TT22, Điều 15)."""

    XUAT_SAC = "Học sinh Xuất sắc"
    GIOI = "Học sinh Giỏi"


class PrimaryYearResult(StrEnum):
    """Primary year-end educational result (TT27, Điều 9)."""

    HTXS = "Hoàn thành xuất sắc"
    HTT = "Hoàn thành tốt"
    HT = "Hoàn thành"
    CHT = "Chưa hoàn thành"


class PrimaryTitle(StrEnum):
    XUAT_SAC = "Học sinh Xuất sắc"
    TIEU_BIEU = "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện"


@dataclass(frozen=True)
class SubjectResult:
    """A subject's computed results for one student and year (secondary)."""

    code: str
    scored: bool
    term1_average: Decimal | None = None  # ĐTBmhk I (rounded to 0.1)
    term2_average: Decimal | None = None  # ĐTBmhk II
    year_average: Decimal | None = None  # ĐTBmcn
    term1_level: Pass | None = None  # comment-only subjects
    term2_level: Pass | None = None
    year_level: Pass | None = None
    # "Điểm hoặc mức đánh giá lại": the summer re-test result, set only when it was used to
    # re-evaluate the year learning result (TT22, kiểm tra, đánh giá lại)
    retest_score: Decimal | None = None
    retest_level: Pass | None = None


@dataclass(frozen=True)
class SecondaryYearResult:
    rule_set: str  # e.g. "TT22/2021"
    subjects: dict[str, SubjectResult]
    learning_term1: Rating | None
    learning_term2: Rating | None
    learning_year: Rating | None
    conduct_term1: Rating | None
    conduct_term2: Rating | None
    conduct_year: Rating | None
    absences: int
    promotion: PromotionOutcome
    title: Title | None
    notes: tuple[str, ...] = field(default_factory=tuple)  # why the outcome is what it is
    # "Mức đánh giá sau khi rèn luyện trong kì nghỉ hè; kiểm tra, đánh giá lại": set only for a
    # student whose year learning (conduct) result was Chưa đạt and who has been re-evaluated
    learning_year_reevaluated: Rating | None = None
    conduct_year_reevaluated: Rating | None = None

    @property
    def promoted_after_reevaluation(self) -> bool:
        """The học bạ's line "Được lên lớp sau khi kiểm tra, đánh giá lại hoặc rèn luyện…"."""
        reevaluated = (self.learning_year_reevaluated, self.conduct_year_reevaluated)
        return self.promotion in (PromotionOutcome.PROMOTED, PromotionOutcome.COMPLETED) and any(
            r is not None for r in reevaluated
        )


@dataclass(frozen=True)
class PrimaryYearOutcome:
    rule_set: str  # e.g. "TT27/2020"
    result: PrimaryYearResult | None  # None when the year-end point is missing
    title: PrimaryTitle | None
    completes_grade: bool  # hoàn thành chương trình lớp học
    subject_levels: dict[str, PrimaryLevel | None]
    year_scores: dict[str, int | None]
    qualities: dict[str, QualityLevel | None]
    competences: dict[str, QualityLevel | None]
    notes: tuple[str, ...] = field(default_factory=tuple)
