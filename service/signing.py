"""Signing use cases: records signed slot by slot through their plan, by server-side signers (one
document or a batch) and by two-phase external signers, safely under concurrency.

The pieces live beside this module: ``signing_batch`` (server-side signing, batches),
``signing_external`` (two-phase), ``signing_revisions`` (current revision and compare-and-swap),
``signing_plans`` (a stored document's slots), ``signing_env`` (trust roots, TSA, development PKI).
See docs/signing-workflow.md.
"""

from __future__ import annotations

from service.context import Context
from service.signing_batch import (
    BatchOutcome,
    DocumentOutcome,
    DocumentSelection,
    Progress,
    SignerIdentity,
    Status,
    sign_batch,
)
from service.signing_env import SigningEnvironment, ensure_dev_pki, signing_environment
from service.signing_external import (
    PENDING_TTL,
    PendingSignature,
    PendingSignatureError,
    finish_external,
    prepare_external,
)
from signing.pades import Level

__all__ = [
    "PENDING_TTL",
    "BatchOutcome",
    "DocumentOutcome",
    "DocumentSelection",
    "PendingSignature",
    "PendingSignatureError",
    "Progress",
    "SignerIdentity",
    "SigningEnvironment",
    "Status",
    "ensure_dev_pki",
    "finish_external",
    "prepare_external",
    "sign_batch",
    "sign_document",
    "signing_environment",
]


def sign_document(
    ctx: Context,
    who: SignerIdentity,
    document_id: str,
    *,
    field_name: str | None = None,
    level: Level = "B-LT",
) -> DocumentOutcome:
    """Sign one document: the slot ``field_name``, or every slot of ``who`` the plan allows now.

    Returns the outcome when signed or when there was nothing left to sign (already signed);
    raises the PlanViolation (naming the slot and the reason) or the signing error otherwise.
    Nothing is written when it raises.
    """
    batch = sign_batch(
        ctx, who, DocumentSelection(document_ids=(document_id,)), field_name=field_name, level=level
    )
    (outcome,) = batch.documents
    if outcome.error is not None and outcome.status in (Status.REFUSED, Status.FAILED):
        raise outcome.error
    return outcome
