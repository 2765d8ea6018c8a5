"""Difference analysis computed once per revision range, not once per question.

pyHanko reviews "what changed after revision k" for every signature, and again for every document
timestamp while building the proof-of-existence index of an LTA validation: on a học bạ with 16
signatures that is ~240 reviews of the same ~17 revisions (7 s of a 7.5 s verification). The answer
depends only on the file, the base revision, the FieldMDP lock and the DocMDP level, so one
verification memoizes it. A policy instance must not outlive the verification of one file.
"""

from __future__ import annotations

from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, StandardDiffPolicy
from pyhanko.sign.diff_analysis.policy_api import DiffResult, SuspiciousModification
from pyhanko.sign.fields import FieldMDPSpec, MDPPerm

_Key = tuple[int, int, tuple[str, tuple[str, ...] | None] | None, MDPPerm | None]


def _spec_key(spec: FieldMDPSpec | None) -> tuple[str, tuple[str, ...] | None] | None:
    if spec is None:
        return None
    return (spec.action.value, tuple(sorted(spec.fields)) if spec.fields is not None else None)


class MemoizedDiffPolicy(StandardDiffPolicy):
    """pyHanko's default policy, with each (file, base revision, locks, DocMDP) reviewed once."""

    def __init__(self) -> None:
        base = DEFAULT_DIFF_POLICY
        super().__init__(
            global_rules=base.global_rules,
            form_rule=base.form_rule,
            reject_object_freeing=base.reject_object_freeing,
            ignore_orphaned_objects=base.ignore_orphaned_objects,
            ignore_identical_objects=base.ignore_identical_objects,
        )
        self._reviews: dict[_Key, DiffResult | SuspiciousModification] = {}
        self._reader: PdfFileReader | None = None

    def review_file(
        self,
        reader: PdfFileReader,
        base_revision: int | HistoricalResolver,
        field_mdp_spec: FieldMDPSpec | None = None,
        doc_mdp: MDPPerm | None = None,
    ) -> DiffResult | SuspiciousModification:
        if self._reader is None:
            self._reader = reader
        elif self._reader is not reader:  # a second file: never answer from the first one's cache
            return super().review_file(reader, base_revision, field_mdp_spec, doc_mdp)
        number = base_revision if isinstance(base_revision, int) else base_revision.revision
        key: _Key = (number, reader.xrefs.total_revisions, _spec_key(field_mdp_spec), doc_mdp)
        if key not in self._reviews:
            self._reviews[key] = super().review_file(reader, base_revision, field_mdp_spec, doc_mdp)
        return self._reviews[key]
