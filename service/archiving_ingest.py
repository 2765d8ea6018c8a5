"""What goes into one archival package, taken from a stored, signed document version.

- the signed PDF, exactly the bytes in the database;
- its canonical JSON, *extracted from the PDF's attachment* (what was signed, not a re-rendering)
  and checked against the hash recorded when it was rendered;
- a verification report made at ingest (a document that does not verify is refused);
- PREMIS-like provenance from the ``events`` table: who rendered, signed, timestamped, locked,
  archived the bytes of this version, and when.

The ingest snapshot (archive time, who archives, report, provenance) is persisted before the first
attempt, so the package can be rebuilt byte for byte by a retry (``service.archiving``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pikepdf

from archive import EventType, ProvenanceEvent
from records.documents import RecordType
from records.slots import SignerRole
from service.errors import HsdtError
from service.trust import TrustStore
from signing.verify import Severity, VerificationReport, verify_pdf

__all__ = [
    "IngestRefused",
    "StoredEvent",
    "describe_record",
    "events_from_json",
    "events_to_json",
    "lineage",
    "provenance_events",
    "record_payload",
    "verification_at_ingest",
    "verified_event",
]

SOFTWARE = "hsdt"
# Actions of the events table that belong in a package's provenance.
RENDERED = "document.rendered"
SIGNED = "document.signed"
TIMESTAMPED = "document.timestamped"
RENEWED = "document.timestamp_renewed"
LOCKED = "document.locked"
ARCHIVED = "document.archived"
_PROVENANCE_ACTIONS = (RENDERED, SIGNED, TIMESTAMPED, RENEWED, LOCKED, ARCHIVED)
_TSA_FALLBACK = "Máy chủ cấp dấu thời gian (TSA)"


class IngestRefused(HsdtError):
    """This document version cannot be archived as it is; nothing of it was stored."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, code: str) -> None:
        super().__init__(message, hint=hint)
        self.code = code


@dataclass(frozen=True)
class StoredEvent:
    """One row of the events table about a document, in the order it was recorded."""

    action: str
    at: datetime
    actor: str
    detail: Mapping[str, Any]


def record_payload(pdf: bytes, document_id: str, content_hash: str) -> bytes:
    """The record's canonical JSON as attached to the signed PDF (``<document id>.json``),
    refused unless its SHA-256 is the one recorded when the record was rendered."""
    name = f"{document_id}.json"
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            spec = document.attachments.get(name)
            data = spec.get_file().read_bytes() if spec is not None else None
    except pikepdf.PdfError as exc:
        raise IngestRefused(
            f"{document_id}: không đọc được tệp PDF đã ký ({exc}).", code="ingest.not_pdf"
        ) from None
    if data is None:
        raise IngestRefused(
            f"{document_id}: tệp PDF không còn đính kèm dữ liệu gốc {name}; không lưu trữ được.",
            hint="Kết xuất lại hồ sơ («hsdt render») rồi ký lại.",
            code="ingest.no_payload",
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != content_hash:
        raise IngestRefused(
            f"{document_id}: dữ liệu gốc đính kèm trong PDF (SHA-256 {actual[:12]}…) khác dữ "
            f"liệu đã kết xuất (SHA-256 {content_hash[:12]}…); không lưu trữ.",
            hint="Hồ sơ đã bị thay đổi sau khi kết xuất: kết xuất lại rồi ký lại.",
            code="ingest.payload_changed",
        )
    return data


def verification_at_ingest(
    pdf: bytes,
    trust: TrustStore,
    document_id: str,
    version: int,
    report: VerificationReport | None = None,
) -> dict[str, Any]:
    """The verification report (JSON-ready) of the bytes about to be archived; refused unless
    every signature and the long-term timestamp hold. ``report``: one already computed for these
    very bytes (in a worker process), so a batch verifies in parallel."""
    if report is None or report.sha256 != hashlib.sha256(pdf).hexdigest():
        report = verify_pdf(pdf, trust_roots=list(trust.roots), demo_mode=trust.demo_mode)
    if not report.bottom_line:
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        listed = "; ".join(
            f"{f.field_name}: {f.message}" if f.field_name else f.message for f in errors[:3]
        )
        more = f" (và {len(errors) - 3} lỗi khác)" if len(errors) > 3 else ""
        raise IngestRefused(
            f"{document_id} phiên bản {version} không qua kiểm tra chữ ký số nên không được lưu "
            f"trữ: {listed}{more}.",
            hint="Xem báo cáo đầy đủ bằng «hsdt verify <tệp PDF>». Hồ sơ bị sửa sau khi ký phải "
            "được kết xuất và ký lại.",
            code="ingest.not_verified",
        )
    return report.to_json()


def lineage(events: Sequence[StoredEvent], version: int) -> list[StoredEvent]:
    """The events in the history of one version's bytes, oldest first.

    A version starts with its rendering, or with a timestamp renewal of an earlier version (then
    the earlier version's history comes first: the renewed file contains it). Events naming a
    version belong to it; the others (signatures, timestamps) to the newest version at the time.
    """
    own: dict[int, list[StoredEvent]] = {}
    parent: dict[int, int] = {}
    current: int | None = None
    for event in events:
        if event.action not in _PROVENANCE_ACTIONS:
            continue
        named = event.detail.get("version")
        target = int(named) if named is not None else current
        if event.action in (RENDERED, RENEWED) and target is not None:
            current = target
        if event.action == RENEWED and target is not None and "from_version" in event.detail:
            parent[target] = int(event.detail["from_version"])
        if target is not None:
            own.setdefault(target, []).append(event)
    history: list[StoredEvent] = []
    step: int | None = version
    seen: set[int] = set()
    while step is not None and step not in seen:  # guard against a malformed loop
        seen.add(step)
        history = own.get(step, []) + history
        step = parent.get(step)
    return history


def provenance_events(
    history: Sequence[StoredEvent], report: Mapping[str, Any]
) -> list[ProvenanceEvent]:
    """PREMIS-like events for a version's history; names come from the verification report
    (the certificate that really signed), identifiers from the events table."""
    signers = {s["field_name"]: s for s in report.get("signatures", [])}
    tsas = [str(t.get("tsa", "")) for t in report.get("timestamps", [])]
    stamps = 0
    out: list[ProvenanceEvent] = []
    for event in history:
        d = event.detail
        if event.action == RENDERED:
            out.append(
                ProvenanceEvent(
                    EventType.RENDERED,
                    event.at,
                    SOFTWARE,
                    "Phần mềm kết xuất",
                    agent_id=event.actor,
                    detail=f"Kết xuất PDF/A-3b phiên bản {d.get('version')}, SHA-256 "
                    f"{d.get('sha256', '')}{_superseding(d)}",
                )
            )
        elif event.action == SIGNED:
            field = str(d.get("field", ""))
            signature = signers.get(field, {})
            out.append(
                ProvenanceEvent(
                    EventType.SIGNED,
                    event.at,
                    str(signature.get("signer_name") or d.get("signer", "")),
                    _role_label(d.get("role"), signature.get("role")),
                    agent_id=str(d.get("signer", "")),
                    detail=f"Ô ký {field}; chứng thư số, số sê-ri "
                    f"{d.get('certificate_serial', '')}",
                )
            )
        elif event.action in (TIMESTAMPED, RENEWED):
            tsa = tsas[stamps] if stamps < len(tsas) and tsas[stamps] else _TSA_FALLBACK
            stamps += 1
            what = (
                "Dấu thời gian lưu trữ (PAdES B-LTA)"
                if event.action == TIMESTAMPED
                else f"Gia hạn dấu thời gian lưu trữ: phiên bản {d.get('version')} từ phiên bản "
                f"{d.get('from_version')}"
            )
            out.append(
                ProvenanceEvent(
                    EventType.TIMESTAMPED,
                    event.at,
                    tsa,
                    "Tổ chức cấp dấu thời gian",
                    agent_id=event.actor,
                    detail=what,
                )
            )
        elif event.action == LOCKED:
            out.append(ProvenanceEvent(EventType.LOCKED, event.at, event.actor, "Người khóa hồ sơ"))
        elif event.action == ARCHIVED:
            out.append(
                ProvenanceEvent(
                    EventType.ARCHIVED,
                    event.at,
                    event.actor,
                    "Người lưu trữ",
                    detail=f"Phiên bản {d.get('version')} đã lưu trữ: {d.get('index_key', '')}, "
                    f"gói {d.get('bag_id', '')}",
                )
            )
    return out


def _superseding(detail: Mapping[str, Any]) -> str:
    """A version rendered by a correction (Điều 11.4) says which version it supersedes."""
    if detail.get("correction") is None:
        return ""
    return (
        f"; thay thế phiên bản {detail.get('supersedes')} theo đính chính số "
        f"{detail.get('correction')}"
    )


def verified_event(report: Mapping[str, Any], at: datetime) -> ProvenanceEvent:
    signatures = len(report.get("signatures", []))
    timestamps = len(report.get("timestamps", []))
    demo = " (PKI thử nghiệm: không có giá trị pháp lý)" if report.get("demo_mode") else ""
    return ProvenanceEvent(
        EventType.VERIFIED,
        at,
        SOFTWARE,
        "Phần mềm kiểm tra chữ ký số",
        detail=f"Kiểm tra khi lưu trữ: hợp lệ; {signatures} chữ ký, {timestamps} dấu thời gian "
        f"tài liệu{demo}",
    )


def describe_record(payload: bytes) -> tuple[str, str]:
    """(organisation, title) for bag-info.txt, from the record's own canonical JSON."""
    record: dict[str, Any] = json.loads(payload)
    school = str(record.get("school", {}).get("name", ""))
    try:
        kind = RecordType(str(record.get("record_type", ""))).display_name
    except ValueError:
        kind = "Hồ sơ"
    parts = [kind]
    student = record.get("student", {}).get("full_name")
    if student:
        parts.append(str(student))
    class_name = record.get("class", {}).get("name")
    if class_name:
        parts.append(f"lớp {class_name}")
    if record.get("school_year"):
        parts.append(f"năm học {record['school_year']}")
    return school, " — ".join(parts)


def events_to_json(events: Sequence[ProvenanceEvent]) -> str:
    return json.dumps(
        [
            {
                "type": e.type.value,
                "at": e.at.astimezone(UTC).isoformat(),
                "agent": e.agent,
                "role": e.role,
                "agent_id": e.agent_id,
                "detail": e.detail,
                "outcome": e.outcome,
            }
            for e in events
        ],
        ensure_ascii=False,
    )


def events_from_json(text: str) -> list[ProvenanceEvent]:
    return [
        ProvenanceEvent(
            EventType(e["type"]),
            datetime.fromisoformat(e["at"]),
            e["agent"],
            e["role"],
            agent_id=e["agent_id"],
            detail=e["detail"],
            outcome=e["outcome"],
        )
        for e in json.loads(text)
    ]


def _role_label(role: object, from_report: object) -> str:
    if isinstance(from_report, str) and from_report:
        return from_report  # the slot's own caption, e.g. "Giáo viên bộ môn Toán"
    try:
        return SignerRole(str(role)).label
    except ValueError:
        return str(role or "Người ký")
