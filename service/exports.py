"""Exports to students (Articles 6.3 and 9): bundles of signed records and signed extracts, every
one registered and traceable to its archived original. See docs/exports.md.

    export_bundle(ctx, principal, request, out=…)            the student's archived records (ZIP)
    issue_extract(ctx, principal, request, seal, out=…)      one school year, signed by the school
    export_register(ctx, student_code=…)                     the register

Order of work: select (current, archived versions) → authorise → verify each PDF now → (an
extract: sign it, archive it as its own package; a failed archive write issues nothing) → build
the ZIP in memory → in one transaction: register rows + audit event, the file written atomically
before the commit (a failed write rolls the register back; a failed commit removes the file).
A refusal (unknown student, nothing archived, not allowed, a PDF that does not verify) writes
nothing.

Beside this module: ``exports_select`` (what may be exported), ``exports_access`` (who may),
``exports_bundle`` (the ZIP), ``exports_extract`` (the extract document and its seal),
``exports_register`` (the register).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from render import verification_url
from render.engine import SHORT_HASH_LEN
from service.archiving_report import iso
from service.authz import Principal
from service.context import Context
from service.db.export_models import ExtractDocumentRow
from service.exports_access import authorize_bundle, authorize_extract
from service.exports_archive import ExtractNotArchived, archive_extract
from service.exports_bundle import (
    MANIFEST_NAME,
    BundleDocument,
    BundleHeader,
    content_files,
    manifest,
    zip_bytes,
)
from service.exports_extract import check_sealer, extract_payload, render_and_seal
from service.exports_register import (
    RegisterEntry,
    RegisterItem,
    export_register,
    new_export_id,
    record_export,
)
from service.exports_select import (
    ArchivedOriginal,
    Excluded,
    ExportRefused,
    Selection,
    require_some,
    student_records,
)
from service.files import write_atomic
from service.signing import SignerIdentity
from service.trust import TrustStore, trust_store
from signing.verify import VerificationReport, verify_pdf

__all__ = [
    "DELIVERIES",
    "ExportRefused",
    "ExportRequest",
    "ExtractNotArchived",
    "IssuedExport",
    "export_bundle",
    "export_register",
    "issue_extract",
]

# How an export reaches its recipient (recorded in the register).
DELIVERIES = ("tai-xuong", "email", "usb", "ban-in", "khac")


@dataclass(frozen=True)
class ExportRequest:
    student_code: str
    recipient: str  # who receives it: the student, a parent, another school…
    purpose: str  # why (transfer, university application, the family's own copy…)
    school_year: str | None = None  # only this school year ("2025-2026")
    delivery: str = "tai-xuong"
    document_id: str | None = None  # extract: the record to extract from, when several


@dataclass(frozen=True)
class IssuedExport:
    entry: RegisterEntry
    data: bytes  # the ZIP (or, for an extract written as .pdf, the signed PDF)
    excluded: tuple[Excluded, ...]  # records left out, with the reason
    extract_pdf: bytes | None = None

    @property
    def export_id(self) -> str:
        return self.entry.export_id


def export_bundle(
    ctx: Context,
    principal: Principal | None,
    request: ExportRequest,
    *,
    out: Path | None = None,
) -> IssuedExport:
    """The student's current archived records as a verified bundle, registered."""
    _check_request(request)
    selection = student_records(ctx, request.student_code, school_year=request.school_year)
    require_some(selection, request.student_code, request.school_year)
    rule = authorize_bundle(principal, selection.originals, request.student_code)
    trust = trust_store(ctx.home)
    documents = [
        _copy_of(ctx, o, _verified(o.document_id, o.pdf, trust)) for o in selection.originals
    ]
    items = tuple(RegisterItem.of(o, "copy") for o in selection.originals)
    return _issue(
        ctx,
        principal,
        request,
        "bundle",
        rule,
        documents,
        items,
        trust,
        selection,
        out,
    )


def issue_extract(
    ctx: Context,
    principal: Principal | None,
    request: ExportRequest,
    seal: SignerIdentity,
    *,
    out: Path | None = None,
) -> IssuedExport:
    """One school year of a student's học bạ as a new document signed by the school, registered.

    ``out`` ending in ``.pdf`` receives the signed extract alone; otherwise the bundle (ZIP)."""
    _check_request(request)
    if request.school_year is None:
        raise ExportRefused(
            "Trích lục cần chỉ rõ năm học (ví dụ 2025-2026).", hint="Thêm --year <năm học>."
        )
    selection = student_records(ctx, request.student_code, school_year=request.school_year)
    require_some(selection, request.student_code, request.school_year)
    original = _one_source(selection.originals, request)
    rule = authorize_extract(principal, original, request.student_code)
    check_sealer(seal, original.school_code)
    trust = trust_store(ctx.home)
    _verified(original.document_id, original.pdf, trust)  # never extract from a broken original
    issued_at = ctx.clock.now()
    export_id = new_export_id(issued_at)
    payload = extract_payload(
        original,
        export_id=export_id,
        issued_at=issued_at,
        recipient=request.recipient,
        purpose=request.purpose,
    )
    rendered, signed = render_and_seal(ctx, payload, seal)
    report = _verified(rendered.document_id, signed, trust)
    # into the archive before the register: a failed write issues nothing (exports_archive)
    archived = archive_extract(
        ctx,
        document_id=rendered.document_id,
        content_hash=rendered.content_hash,
        signed=signed,
        report=report,
        original=original,
        school_name=payload["school"]["name"],
        school_year=payload["school_year"],
    )
    link = _link(ctx, rendered.document_id, rendered.content_hash)
    describe = {
        "kind": "trich-luc",
        "source": {"document_id": original.document_id, "version": original.version},
        "archive": {
            "index_key": archived.index_key,
            "package_sha256": archived.package_sha256,
            "archived_at": iso(archived.archived_at),
        },
    }
    document = BundleDocument(rendered.document_id, signed, report, link, describe)
    extract = ExtractDocumentRow(
        document_id=rendered.document_id,
        export_id=export_id,
        source_document_id=original.document_id,
        source_version=original.version,
        source_sha256=original.pdf_sha256,
        content_hash=rendered.content_hash,
        pdf_sha256=hashlib.sha256(signed).hexdigest(),
        pdf=signed,
        created_at=issued_at,
        index_key=archived.index_key,
        package_sha256=archived.package_sha256,
        archived_at=archived.archived_at,
    )
    return _issue(
        ctx,
        principal,
        request,
        "extract",
        rule,
        [document],
        (RegisterItem.of(original, "source"),),
        trust,
        selection,
        out,
        export_id=export_id,
        extract=extract,
    )


# ---------------------------------------------------------------------------- steps


def _check_request(request: ExportRequest) -> None:
    if not request.recipient.strip():
        raise ExportRefused(
            "Chưa ghi người nhận bản xuất.", hint="Ghi rõ người nhận (--recipient)."
        )
    if not request.purpose.strip():
        raise ExportRefused(
            "Chưa ghi mục đích xuất hồ sơ (sổ đăng ký bản xuất bắt buộc ghi).",
            hint="Ghi mục đích (--purpose), ví dụ «chuyển trường».",
        )
    if request.delivery not in DELIVERIES:
        raise ExportRefused(
            f"Cách giao «{request.delivery}» không có trong danh sách.",
            hint=f"Chọn một trong: {', '.join(DELIVERIES)}.",
        )


def _one_source(originals: Sequence[ArchivedOriginal], request: ExportRequest) -> ArchivedOriginal:
    candidates = [o for o in originals if request.document_id in (None, o.document_id)]
    if len(candidates) == 1:
        return candidates[0]
    ids = ", ".join(o.document_id for o in originals)
    if not candidates:
        raise ExportRefused(
            f"Hồ sơ {request.document_id} không phải hồ sơ đã lưu trữ của học sinh "
            f"{request.student_code} năm học {request.school_year} (có: {ids}).",
        )
    raise ExportRefused(
        f"Học sinh {request.student_code} có nhiều hồ sơ năm học {request.school_year}: {ids}.",
        hint="Chọn một hồ sơ với --document.",
    )


def _verified(document_id: str, pdf: bytes, trust: TrustStore) -> VerificationReport:
    """Our verifier's report now; a document that does not verify is never handed out."""
    report = verify_pdf(pdf, trust_roots=list(trust.roots), demo_mode=trust.demo_mode)
    if not report.bottom_line:
        problems = "; ".join(f.message for f in report.findings if f.severity.value == "error")
        raise ExportRefused(
            f"{document_id}: hồ sơ không vượt qua kiểm tra chữ ký lúc xuất ({problems}); "
            "không xuất bản nào.",
            hint="Chạy «hsdt verify» với tệp này và «hsdt archive audit»; báo cho nhà trường.",
        )
    return report


def _copy_of(
    ctx: Context, original: ArchivedOriginal, report: VerificationReport
) -> BundleDocument:
    """A copy (bản sao) of an archived original: its bytes exactly, and where it is archived."""
    describe = {
        "kind": "ban-sao",
        "version": original.version,
        "record_type": original.record_type,
        "school_year": original.school_year,
        "archive": {
            "index_key": original.index_key,
            "package_sha256": original.package_sha256,
            "archived_at": iso(original.archived_at),
        },
    }
    link = _link(ctx, original.document_id, original.content_hash)
    return BundleDocument(original.document_id, original.pdf, report, link, describe)


def _link(ctx: Context, document_id: str, content_hash: str) -> str:
    return verification_url(ctx.settings.verify_url, document_id, content_hash[:SHORT_HASH_LEN])


def _issue(
    ctx: Context,
    principal: Principal | None,
    request: ExportRequest,
    kind: str,
    rule: str,
    documents: Sequence[BundleDocument],
    items: tuple[RegisterItem, ...],
    trust: TrustStore,
    selection: Selection,
    out: Path | None,
    *,
    export_id: str | None = None,
    extract: ExtractDocumentRow | None = None,
) -> IssuedExport:
    issued_at = ctx.clock.now()
    export_id = export_id or new_export_id(issued_at)
    actor = principal.account_id if principal is not None else ctx.actor
    first = documents[0]
    source = selection.originals[0].payload  # school and student names for the manifest
    header = BundleHeader(
        export_id=export_id,
        kind=kind,
        issued_at=issued_at.isoformat(),
        issued_by=actor,
        school={"code": source["school"]["code"], "name": source["school"]["name"]},
        student={
            "code": request.student_code,
            "full_name": source["student"]["full_name"],
        },
        recipient=request.recipient,
        purpose=request.purpose,
        delivery=request.delivery,
    )
    files = content_files(documents, _roots(trust), trust.demo_mode)
    files[MANIFEST_NAME] = manifest(header, documents, files)
    data = zip_bytes(files)
    delivered = first.pdf if extract is not None and out and out.suffix == ".pdf" else data
    entry = RegisterEntry(
        export_id=export_id,
        kind=kind,
        school_code=header.school["code"],
        student_code=request.student_code,
        school_year=request.school_year,
        recipient=request.recipient,
        purpose=request.purpose,
        delivery=request.delivery,
        issued_by=actor,
        issued_at=issued_at,
        authorized_by=rule,
        file_name=out.name if out is not None else f"{export_id}.zip",
        file_sha256=hashlib.sha256(delivered).hexdigest(),
        file_size=len(delivered),
        items=items,
        extract_document_id=extract.document_id if extract is not None else None,
        extract_index_key=extract.index_key if extract is not None else None,
        extract_package_sha256=extract.package_sha256 if extract is not None else None,
    )
    with _written(out, delivered), ctx.sessions.begin() as session:
        record_export(ctx, session, entry)
        if extract is not None:
            session.flush()
            session.add(extract)
    extract_pdf = extract.pdf if extract is not None else None
    return IssuedExport(entry, delivered, selection.excluded, extract_pdf)


def _roots(trust: TrustStore) -> list[x509.Certificate]:
    """The trust roots, each once (a root listed twice would be two identical files)."""
    seen: dict[bytes, x509.Certificate] = {}
    for root in trust.roots:
        seen.setdefault(root.public_bytes(Encoding.DER), root)
    return list(seen.values())


@contextmanager
def _written(out: Path | None, data: bytes) -> Iterator[None]:
    """Write ``out`` before the register commits; remove it when the commit fails."""
    if out is None:
        yield
        return
    write_atomic(out, data)
    try:
        yield
    except BaseException:
        out.unlink(missing_ok=True)
        raise
