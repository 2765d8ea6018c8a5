"""The memoized difference analysis answers exactly as pyHanko's own, once per question."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm

from signing.diff_cache import MemoizedDiffPolicy

from .documents import append_page_content


def _review_all(policy: object, reader: PdfFileReader) -> list[object]:
    out: list[object] = []
    for base in range(1, reader.xrefs.total_revisions):
        for spec in (None, FieldMDPSpec(FieldMDPAction.INCLUDE, ["gvcn"])):
            review = policy.review_file  # type: ignore[attr-defined]
            result = review(reader, base, spec, MDPPerm.FILL_FORMS)
            out.append(
                (
                    type(result).__name__,
                    getattr(result, "modification_level", None),
                    sorted(getattr(result, "changed_form_fields", ())),
                )
            )
    return out


def test_memoized_policy_agrees_with_pyhanko_and_does_not_mix_files(signed_record: bytes) -> None:
    tampered_record = append_page_content(signed_record)
    for pdf in (signed_record, tampered_record):
        reader = PdfFileReader(io.BytesIO(pdf))
        policy = MemoizedDiffPolicy()
        assert _review_all(policy, reader) == _review_all(DEFAULT_DIFF_POLICY, reader)
        assert _review_all(policy, reader) == _review_all(DEFAULT_DIFF_POLICY, reader)  # cached
    # one instance used on two files answers each from its own analysis
    shared = MemoizedDiffPolicy()
    a = PdfFileReader(io.BytesIO(signed_record))
    b = PdfFileReader(io.BytesIO(tampered_record))
    assert _review_all(shared, a) == _review_all(DEFAULT_DIFF_POLICY, a)
    assert _review_all(shared, b) == _review_all(DEFAULT_DIFF_POLICY, b)
