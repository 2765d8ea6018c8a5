"""What teachers write once the year's results are known: the submitted results and comments.

The sample's submitted values (term and year averages, year levels, learning results, promotion,
titles; the primary year result and title) are exactly what the rule set computes from the raw
assessments, so the sample validates with no ``submitted.mismatch``. Comments are chosen to fit the
computed outcome.
"""

from __future__ import annotations

import random

from records.model import (
    AssessmentPoint,
    ClassStudent,
    PrimaryStudentYear,
    Rating,
    SchoolClass,
    SecondaryStudentYear,
    SubjectAssessment,
)
from records.results import PrimaryTitle, PrimaryYearResult, SecondaryYearResult, SubjectResult
from records.rules import PrimaryRuleSet, SecondaryRuleSet
from records.rules.tt22_2021 import ABSENCE_LIMIT

_LEARNING_COMMENTS = {
    Rating.TOT: "Ngoan, lễ phép, chăm chỉ; học tập tích cực, kết quả học tập tốt.",
    Rating.KHA: "Ngoan, có ý thức học tập; cần cố gắng hơn ở các môn còn hạn chế.",
    Rating.DAT: "Cần chăm chỉ hơn, học bài và làm bài đầy đủ, tích cực phát biểu xây dựng bài.",
    Rating.CHUA_DAT: "Kết quả học tập chưa đạt; cần ôn tập, kiểm tra lại trong kì nghỉ hè.",
}
_ABSENT_COMMENT = "Nghỉ học quá số buổi quy định; gia đình cần đưa em đi học đều."
_CONDUCT_COMMENT = "Cần rèn luyện thêm về ý thức chấp hành nội quy trong kì nghỉ hè."

_PRIMARY_COMMENTS = {
    PrimaryYearResult.HTXS: "Em học tập chăm chỉ, tiếp thu bài nhanh; hoàn thành xuất sắc các "
    "nội dung học tập và rèn luyện.",
    PrimaryYearResult.HTT: "Em chăm học, tự giác; hoàn thành tốt các nội dung học tập và rèn "
    "luyện.",
    PrimaryYearResult.HT: "Em hoàn thành các nội dung học tập; cần mạnh dạn, tích cực hơn trong "
    "học tập và các hoạt động.",
    PrimaryYearResult.CHT: "Em chưa hoàn thành một số nội dung học tập; cần được giúp đỡ, ôn tập "
    "thêm trong hè.",
}
TIEU_BIEU_SHARE = 0.35  # of Hoàn thành tốt pupils, recognised by their class as Tiêu biểu


def with_secondary_results(rules: SecondaryRuleSet, school_class: SchoolClass) -> SchoolClass:
    students = []
    for cs in school_class.students:
        year = cs.secondary
        if year is not None:
            year = _fill_secondary(year, rules.compute(school_class, year))
        students.append(cs.model_copy(update={"secondary": year}))
    return school_class.model_copy(update={"students": students})


def with_primary_results(
    rng: random.Random, rules: PrimaryRuleSet, school_class: SchoolClass
) -> SchoolClass:
    students: list[ClassStudent] = []
    for cs in school_class.students:
        year = cs.primary
        if year is not None:
            year = _fill_primary(rng, rules, school_class, year)
        students.append(cs.model_copy(update={"primary": year}))
    return school_class.model_copy(update={"students": students})


def _fill_secondary(
    year: SecondaryStudentYear, result: SecondaryYearResult
) -> SecondaryStudentYear:
    subjects = {
        code: _fill_subject(a, result.subjects[code]) if code in result.subjects else a
        for code, a in year.subjects.items()
    }
    return year.model_copy(
        update={
            "subjects": subjects,
            "submitted_learning_term1": result.learning_term1,
            "submitted_learning_term2": result.learning_term2,
            "submitted_learning_year": result.learning_year,
            "submitted_promotion": result.promotion.value,
            "submitted_title": result.title.value if result.title else "",
            "homeroom_comment": _homeroom_comment(result),
        }
    )


def _fill_subject(a: SubjectAssessment, r: SubjectResult) -> SubjectAssessment:
    if not r.scored:
        return a.model_copy(update={"submitted_year_level": r.year_level})
    update: dict[str, object] = {"submitted_year_average": r.year_average}
    if a.term1 is not None:
        update["term1"] = a.term1.model_copy(update={"submitted_average": r.term1_average})
    if a.term2 is not None:
        update["term2"] = a.term2.model_copy(update={"submitted_average": r.term2_average})
    return a.model_copy(update=update)


def _homeroom_comment(result: SecondaryYearResult) -> str:
    if result.absences > ABSENCE_LIMIT:
        return _ABSENT_COMMENT
    if result.conduct_year is Rating.CHUA_DAT:
        return _CONDUCT_COMMENT
    if result.learning_year is None:
        return ""
    return _LEARNING_COMMENTS[result.learning_year]


def _fill_primary(
    rng: random.Random, rules: PrimaryRuleSet, school_class: SchoolClass, year: PrimaryStudentYear
) -> PrimaryStudentYear:
    outcome = rules.compute(school_class, year)
    title = outcome.title.value if outcome.title else ""
    if outcome.result is PrimaryYearResult.HTT and rng.random() < TIEU_BIEU_SHARE:
        title = PrimaryTitle.TIEU_BIEU.value  # the rule set accepts it for Hoàn thành tốt only
    points = dict(year.points)
    cn = points.get(AssessmentPoint.CN)
    if cn is not None and outcome.result is not None:
        points[AssessmentPoint.CN] = cn.model_copy(
            update={"comment": _PRIMARY_COMMENTS[outcome.result]}
        )
    return year.model_copy(
        update={
            "points": points,
            "submitted_result": outcome.result.value if outcome.result else None,
            "submitted_title": title,
        }
    )
