"""The sample's assessments: complete, shaped by the rule sets, realistic, and self-consistent."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from records.model import (
    AssessmentPoint,
    Dataset,
    Level,
    Pass,
    PrimaryLevel,
    QualityLevel,
    Rating,
)
from records.rules import AssessmentKind, primary_rules, secondary_rules
from records.sample import edge_cases

ONE_DECIMAL = Decimal("0.1")


def test_regular_counts_follow_the_periods(school: Dataset) -> None:
    for c in school.classes:
        if c.level is Level.TH:
            continue
        rules = secondary_rules(c.grade, school.school_year)
        for cs in c.subjects:
            spec = rules.subject(cs.code)
            assert spec is not None
            for s in c.students:
                assert s.secondary is not None
                a = s.secondary.subjects[cs.code]
                if spec.kind is AssessmentKind.COMMENT:
                    assert a.term1 is None and a.term2 is None
                    assert a.comment1 and a.comment1.level and a.comment2 and a.comment2.level
                    continue
                need = rules.required_regular_count(cs.periods_per_year)
                for term in (a.term1, a.term2):
                    assert term is not None and len(term.regular) == need, (c.id, cs.code)
                    assert term.midterm is not None and term.final is not None


def test_scores_are_on_the_scale_with_one_decimal(school: Dataset) -> None:
    for c in school.classes:
        for s in c.students:
            if s.secondary is None:
                continue
            for a in s.secondary.subjects.values():
                for term in (a.term1, a.term2):
                    if term is None:
                        continue
                    for score in (*term.regular, term.midterm, term.final):
                        assert score is not None and Decimal(0) <= score <= Decimal(10)
                        assert score == score.quantize(ONE_DECIMAL)
                        assert score.as_tuple().exponent == -1  # written "7.0", not "7"


def test_primary_tests_exactly_where_the_catalogue_has_them(school: Dataset) -> None:
    for c in school.classes:
        if c.level is not Level.TH:
            continue
        rules = primary_rules(c.grade, school.school_year)
        qualities = {q.code for q in rules.qualities if c.grade in q.grades}
        competences = {q.code for q in rules.competences if c.grade in q.grades}
        for s in c.students:
            assert s.primary is not None
            assert list(s.primary.points) == list(AssessmentPoint)
            for point, pa in s.primary.points.items():
                assert set(pa.subjects) == {cs.code for cs in c.subjects}
                for code, mark in pa.subjects.items():
                    spec = rules.subject(code)
                    assert spec is not None and mark.level is not None
                    has_test = point in spec.test_points_for(c.grade)
                    assert (mark.score is not None) == has_test, (c.id, code, point)
                    assert mark.score is None or 1 <= mark.score <= 10
                assert set(pa.qualities) == qualities and set(pa.competences) == competences


def test_grade_5_has_mid_term_tests_in_tieng_viet_and_toan_only(default_school: Dataset) -> None:
    pupil = default_school.classes[0].students[0].primary
    assert pupil is not None
    gk1 = pupil.points[AssessmentPoint.GK1].subjects
    assert {code for code, m in gk1.items() if m.score is not None} == {"TIENG_VIET", "TOAN"}


def test_primary_growth_is_plausible_for_the_age(school: Dataset) -> None:
    for c in school.classes:
        for s in c.students:
            if s.primary is None:
                continue
            assert s.primary.height_cm is not None and s.primary.weight_kg is not None
            assert 95 < s.primary.height_cm < 170, (c.grade, s.primary.height_cm)
            assert 13 < s.primary.weight_kg < 60, (c.grade, s.primary.weight_kg)
        heights = [s.primary.height_cm for s in c.students if s.primary and s.primary.height_cm]
        if heights and c.grade == 5:
            assert 125 < sum(heights) / len(heights) < 145


def test_submitted_results_are_what_the_rules_compute(school: Dataset) -> None:
    """What the validator's submitted.mismatch check does, for every student of the sample."""
    for c in school.classes:
        for s in c.students:
            if s.secondary is not None:
                y = s.secondary
                r = secondary_rules(c.grade, school.school_year).compute(c, y)
                for code, a in y.subjects.items():
                    sr = r.subjects[code]
                    if sr.scored:
                        assert a.term1 and a.term1.submitted_average == sr.term1_average
                        assert a.term2 and a.term2.submitted_average == sr.term2_average
                        assert sr.year_average is not None
                        assert a.submitted_year_average == sr.year_average
                    else:
                        assert sr.year_level is not None
                        assert a.submitted_year_level == sr.year_level
                assert (y.submitted_learning_term1, y.submitted_learning_term2) == (
                    r.learning_term1,
                    r.learning_term2,
                )
                assert r.learning_year is not None
                assert y.submitted_learning_year == r.learning_year
                assert y.conduct_year == r.conduct_year
                assert y.submitted_promotion == r.promotion.value
                assert y.submitted_title == (r.title.value if r.title else "")
            if s.primary is not None:
                o = primary_rules(c.grade, school.school_year).compute(c, s.primary)
                assert o.result is not None
                assert s.primary.submitted_result == o.result.value
                assert s.primary.submitted_title == (o.title.value if o.title else "")


def test_secondary_results_are_realistic(large_school: Dataset) -> None:
    special = set(edge_cases(large_school).values())
    conduct: Counter[Rating] = Counter()
    learning: Counter[Rating | None] = Counter()
    absences: list[int] = []
    levels: Counter[Pass | None] = Counter()
    for c in large_school.classes:
        for s in c.students:
            y = s.secondary
            if y is None or s.student.code in special:
                continue
            assert y.conduct_year is not None
            conduct[y.conduct_year] += 1
            learning[y.submitted_learning_year] += 1
            absences.append(y.absences_term1 + y.absences_term2)
            levels.update(a.submitted_year_level for a in y.subjects.values() if a.comment2)
    n = sum(conduct.values())
    assert (conduct[Rating.TOT] + conduct[Rating.KHA]) / n > 0.8
    assert conduct[Rating.TOT] > conduct[Rating.KHA] > conduct[Rating.DAT]
    assert conduct[Rating.CHUA_DAT] / n < 0.01
    assert sum(1 for a in absences if a <= 6) / n > 0.75 and max(absences) < 30
    assert levels[Pass.CD] / sum(levels.values()) < 0.02
    # every learning level occurs; Khá and Đạt are the bulk, Chưa đạt a few
    assert set(learning) == {Rating.TOT, Rating.KHA, Rating.DAT, Rating.CHUA_DAT}
    assert (learning[Rating.KHA] + learning[Rating.DAT]) / n > 0.7
    assert learning[Rating.CHUA_DAT] / n < 0.08


def test_primary_results_are_realistic(large_school: Dataset) -> None:
    results: Counter[str | None] = Counter()
    traits: Counter[QualityLevel] = Counter()
    levels: Counter[PrimaryLevel | None] = Counter()
    for c in large_school.classes:
        for s in c.students:
            if s.primary is None:
                continue
            results[s.primary.submitted_result] += 1
            cn = s.primary.points[AssessmentPoint.CN]
            traits.update([*cn.qualities.values(), *cn.competences.values()])
            levels.update(m.level for m in cn.subjects.values())
    n = sum(results.values())
    assert results["Hoàn thành"] / n > 0.5
    assert 0.05 < results["Hoàn thành xuất sắc"] / n < 0.3
    assert 0.05 < results["Hoàn thành tốt"] / n < 0.35
    assert 0 < results["Chưa hoàn thành"] / n < 0.08
    assert traits[QualityLevel.T] > traits[QualityLevel.D] > traits[QualityLevel.C]
    assert levels[PrimaryLevel.C] / sum(levels.values()) < 0.02
