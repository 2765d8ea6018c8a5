"""Provenance events: who rendered, signed, verified, locked and archived a record, and when.

Stored in each package as ``data/provenance.json``, a PREMIS-like list: each event carries the
PREMIS 3 event type from the Library of Congress vocabulary beside hsdt's own name for it, its
time, outcome and linking agent. Text is NFC; the bytes are deterministic.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

PROVENANCE_FORMAT = "hsdt-provenance/1"


class EventType(StrEnum):
    RENDERED = "rendered"
    SIGNED = "signed"
    TIMESTAMPED = "timestamped"
    VERIFIED = "verified"
    LOCKED = "locked"
    ARCHIVED = "archived"


# https://id.loc.gov/vocabulary/preservation/eventType
PREMIS_EVENT_TYPE = {
    EventType.RENDERED: "creation",
    EventType.SIGNED: "digital signature generation",
    EventType.TIMESTAMPED: "digital signature generation",
    EventType.VERIFIED: "digital signature validation",
    EventType.LOCKED: "policy assignment",
    EventType.ARCHIVED: "ingestion",
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"event time {at.isoformat()} has no time zone")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ProvenanceEvent:
    type: EventType
    at: datetime
    agent: str  # a person's full name, a school's name, or the software
    role: str  # e.g. "Giáo viên chủ nhiệm", "Hiệu trưởng", "software"
    agent_id: str = ""  # e.g. a staff code or a certificate fingerprint
    detail: str = ""
    outcome: str = "success"

    def __post_init__(self) -> None:
        _utc_text(self.at)
        for name in ("agent", "role", "agent_id", "detail", "outcome"):
            object.__setattr__(self, name, _nfc(getattr(self, name)))


def provenance_bytes(document_id: str, version: int, events: Sequence[ProvenanceEvent]) -> bytes:
    ordered = sorted(events, key=lambda e: e.at)  # stable: same-time events keep their order
    doc = {
        "format": PROVENANCE_FORMAT,
        "premis_version": "3.0",
        "object": {"identifier": document_id, "version": version},
        "events": [
            {
                "eventIdentifier": f"{document_id}/v{version}/{n}",
                "eventType": PREMIS_EVENT_TYPE[e.type],
                "hsdtEventType": e.type.value,
                "eventDateTime": _utc_text(e.at),
                "eventDetail": e.detail,
                "eventOutcome": e.outcome,
                "linkingAgent": {"name": e.agent, "role": e.role, "identifier": e.agent_id},
            }
            for n, e in enumerate(ordered, start=1)
        ],
    }
    return canonical_json(doc)


def parse_provenance(raw: bytes) -> tuple[ProvenanceEvent, ...]:
    doc: dict[str, Any] = json.loads(raw)
    if doc.get("format") != PROVENANCE_FORMAT:
        raise ValueError(f"unknown provenance format {doc.get('format')!r}")
    return tuple(
        ProvenanceEvent(
            type=EventType(e["hsdtEventType"]),
            at=datetime.fromisoformat(e["eventDateTime"].replace("Z", "+00:00")),
            agent=e["linkingAgent"]["name"],
            role=e["linkingAgent"]["role"],
            agent_id=e["linkingAgent"]["identifier"],
            detail=e["eventDetail"],
            outcome=e["eventOutcome"],
        )
        for e in doc["events"]
    )


def canonical_json(value: Any) -> bytes:
    """Deterministic, human-readable JSON: sorted keys, UTF-8 (Vietnamese unescaped), NFC."""
    return (
        json.dumps(_nfc_all(value), ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    ).encode("utf-8")


def _nfc_all(value: Any) -> Any:
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, dict):
        return {_nfc(str(k)): _nfc_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nfc_all(v) for v in value]
    return value
