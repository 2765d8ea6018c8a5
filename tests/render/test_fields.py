"""One empty, printable signature field per slot, where the form has it."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from render_helpers import VERIFY_URL, Case, reopen

from records.documents import RecordType
from records.slots import SignerRole
from render import LayoutError, render_document

MM = 72 / 25.4


def _fields(case: Case) -> dict[str, tuple[int, list[float], int]]:
    """name → (page number, rect, flags)."""
    with reopen(case.result.pdf) as pdf:
        pages = {p.obj.objgen: i + 1 for i, p in enumerate(pdf.pages)}
        return {
            str(f.T): (pages[f.P.objgen], [float(v) for v in f.Rect], int(f.F))
            for f in pdf.Root.AcroForm.Fields
        }


def test_a_field_per_slot_in_plan_order_printable_and_inside_its_page(case: Case) -> None:
    fields = _fields(case)
    assert list(fields) == [s.field_name for s in case.slots]
    with reopen(case.result.pdf) as pdf:
        assert int(pdf.Root.AcroForm.SigFlags) == 1
        for name, (page, (x0, y0, x1, y1), flags) in fields.items():
            box = [float(v) for v in pdf.pages[page - 1].mediabox]
            assert flags == 4, name  # Print only
            assert box[0] <= x0 < x1 <= box[2] and box[1] <= y0 < y1 <= box[3], name


def test_pyhanko_sees_every_field_empty(case: Case) -> None:
    reader = PdfFileReader(io.BytesIO(case.result.pdf))
    found = {name: value for name, value, _ in enumerate_sig_fields(reader)}
    assert list(found) == [s.field_name for s in case.slots]
    assert all(v is None for v in found.values())


def test_block_fields_fit_a_visible_stamp(case: Case) -> None:
    for slot in case.slots:
        _, (x0, y0, x1, y1), _ = _fields(case)[slot.field_name]
        if slot.role is SignerRole.SUBJECT_TEACHER and case.doc.record_type is (
            RecordType.HOC_BA_TRUNG_HOC
        ):
            assert y1 - y0 >= 7.5 * MM and x1 - x0 >= 40 * MM, slot.field_name
        else:
            assert y1 - y0 >= 12 * MM and x1 - x0 >= 35 * MM, slot.field_name


def test_hoc_ba_places_teachers_on_the_subject_page_and_the_rest_at_the_end(
    cases: dict[RecordType, Case],
) -> None:
    case = cases[RecordType.HOC_BA_TRUNG_HOC]
    fields = _fields(case)
    teachers = [s.field_name for s in case.slots if s.role is SignerRole.SUBJECT_TEACHER]
    assert teachers and {fields[n][0] for n in teachers} == {2}
    tops = [fields[n][1][3] for n in teachers]  # one per row, top to bottom in the plan's order
    assert tops == sorted(tops, reverse=True)
    last = case.result.pages
    assert fields["gvcn"][0] == fields["hieu_truong"][0] == fields["con_dau"][0] == last
    seal, head = fields["con_dau"][1], fields["hieu_truong"][1]
    assert seal[2] <= head[0]  # the seal box sits to the left of the principal's field
    assert fields["gvcn"][1][1] > head[3]  # homeroom teacher above the principal


def test_so_theo_doi_teachers_sign_after_their_subject(cases: dict[RecordType, Case]) -> None:
    case = cases[RecordType.SO_THEO_DOI]
    fields = _fields(case)
    pages = [fields[f"gvbm_{s['code']}"][0] for s in case.doc.payload["subjects"] if s["teachers"]]
    assert pages == sorted(pages) and len(set(pages)) == len(pages)
    assert fields["gvcn"][0] == fields["hieu_truong"][0] == case.result.pages > pages[-1]


def test_locks_become_a_fieldmdp_lock_dictionary(cases: dict[RecordType, Case]) -> None:
    case = cases[RecordType.HOC_BA_TIEU_HOC]
    slots = [
        replace(s, locks=("gvcn",)) if s.field_name == "hieu_truong" else s for s in case.slots
    ]
    result = render_document(case.doc, slots, verify_url=VERIFY_URL)
    with reopen(result.pdf) as pdf:
        field = next(f for f in pdf.Root.AcroForm.Fields if str(f.T) == "hieu_truong")
        assert str(field.Lock.Type) == "/SigFieldLock" and str(field.Lock.Action) == "/Include"
        assert [str(n) for n in field.Lock.Fields] == ["gvcn"]


def test_a_slot_the_form_has_no_place_for_is_an_error(cases: dict[RecordType, Case]) -> None:
    case = cases[RecordType.BANG_TONG_HOP]
    extra = replace(case.slots[0], field_name="pho_hieu_truong")
    with pytest.raises(LayoutError) as e:
        render_document(case.doc, [*case.slots, extra], verify_url=VERIFY_URL)
    assert "pho_hieu_truong" in str(e.value)


def test_a_plan_without_a_slot_leaves_blank_space_and_no_field(
    cases: dict[RecordType, Case],
) -> None:
    case = cases[RecordType.HOC_BA_TIEU_HOC]
    slots = [s for s in case.slots if s.field_name != "con_dau"]
    result = render_document(case.doc, slots, verify_url=VERIFY_URL)
    with reopen(result.pdf) as pdf:
        assert [str(f.T) for f in pdf.Root.AcroForm.Fields] == ["gvcn", "hieu_truong"]
