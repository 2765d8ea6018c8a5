"""Corrections after lock (Điều 11.4): request → approve/reject → two witnesses → apply → re-sign.

One import for the use cases; the parts live beside it:

- ``corrections_edits``: the proposed change as field edits against the data, checked and applied
  (pure);
- ``corrections_records``: the record a correction is about, its state and authorization scope;
- ``corrections_workflow``: the attributable steps (request, approve, reject, witness);
- ``corrections_apply``: the new dataset and document versions, linked to what they supersede
  (``corrections_links``: the link, read by the archive);
- ``corrections_history``: a record's whole chain (versions, signatures, corrections, archive).

See docs/corrections.md.
"""

from service.corrections_apply import AppliedCorrection, NewVersion, apply_correction
from service.corrections_edits import (
    FieldEdit,
    InvalidCorrection,
    StaleEdit,
    affected_documents,
    apply_edits,
    parse_target,
)
from service.corrections_history import (
    CorrectionView,
    RecordHistory,
    StepView,
    VersionView,
    list_corrections,
    record_history,
    show_correction,
)
from service.corrections_links import Supersession, supersession_of
from service.corrections_workflow import (
    CorrectionState,
    WitnessPart,
    approve_correction,
    reject_correction,
    request_correction,
    witness_correction,
)

__all__ = [
    "AppliedCorrection",
    "CorrectionState",
    "CorrectionView",
    "FieldEdit",
    "InvalidCorrection",
    "NewVersion",
    "RecordHistory",
    "StaleEdit",
    "StepView",
    "Supersession",
    "VersionView",
    "WitnessPart",
    "affected_documents",
    "apply_correction",
    "apply_edits",
    "approve_correction",
    "list_corrections",
    "parse_target",
    "record_history",
    "reject_correction",
    "request_correction",
    "show_correction",
    "supersession_of",
    "witness_correction",
]
