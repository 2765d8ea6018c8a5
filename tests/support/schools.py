"""Small schools cut from the seeded sample, shared by the slower end-to-end suites."""

from __future__ import annotations

from records.model import Dataset
from records.sample import generate_school

SUBJECTS = ("NGU_VAN", "TOAN", "NN1", "LICH_SU_DIA_LI", "KHTN", "TIN_HOC")


def small_school() -> Dataset:
    """The sample school's first secondary class: two students, six subjects."""
    ds = generate_school(seed=2026, primary_classes=0, secondary_classes=1)
    c = ds.classes[0]
    students = []
    for cs in c.students[:2]:
        year = cs.secondary
        assert year is not None
        kept = {k: v for k, v in year.subjects.items() if k in SUBJECTS}
        # Fewer subjects change the computed ratings: drop the values "as submitted".
        cleared = {k: None for k in type(year).model_fields if k.startswith("submitted_")}
        students.append(
            cs.model_copy(
                update={"secondary": year.model_copy(update={"subjects": kept, **cleared})}
            )
        )
    subjects = [s for s in c.subjects if s.code in SUBJECTS]
    cut = c.model_copy(update={"subjects": subjects, "students": students})
    return ds.model_copy(update={"classes": [cut]})
