"""Extracts (trích lục): one school year of a student's record as a new document, signed by the
school as an organisation.

The content comes from the archived original's canonical JSON (never from the working data), so
an extract can only say what the archived, signed record says. The new document gets its own id
("TL-…", the export id's date and random part) and references the original by document id,
version, SHA-256 and archive package. It is signed in the seal slot ``con_dau`` with the same
PAdES profile as the record books' seal (B-LT, certificate checked against the organisation
before signing), then given a document timestamp (B-LTA).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from records.documents import RecordType, decimal_text
from records.slots import SignatureSlot
from render import RenderedPdf
from render.extract import render_extract, seal_slot
from service.context import Context
from service.exports_select import ArchivedOriginal, ExportRefused
from service.signing import SignerIdentity, SigningEnvironment, signing_environment
from service.signing_plans import expected_signer
from signing.appearance import VIETNAM_TIME
from signing.backends import signer_certificates
from signing.certcheck import async_check_signer
from signing.ltv import async_add_document_timestamp
from signing.pades import FieldLocks, async_sign_slot
from signing.pyhanko_patches import apply_pyhanko_speedups

EXTRACT_SCHEMA = "hsdt/extract"
EXTRACT_VERSION = 1
_HOC_BA = {RecordType.HOC_BA_TRUNG_HOC.value, RecordType.HOC_BA_TIEU_HOC.value}


def extract_document_id(export_id: str) -> str:
    """ "XK-20261128-3F9A1C2B" → "TL-20261128-3F9A1C2B": one extract per extract export."""
    return "TL-" + export_id.removeprefix("XK-")


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return str(value)


def _score(value: Any, scored: bool) -> str:
    """Averages keep their one decimal ("7,0"): canonical JSON writes 7.0 as 7."""
    if scored and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return decimal_text(Decimal(value))
    return _cell(value)


def _tables(source: dict[str, Any]) -> list[dict[str, Any]]:
    """Display-ready tables of the year's results (the machine-readable data sits beside them)."""
    summary = source.get("summary", {})
    if source["record_type"] == RecordType.HOC_BA_TRUNG_HOC.value:
        subjects = [
            [s["name"], *(_score(s[k], s.get("scored", False)) for k in ("term1", "term2", "year"))]
            for s in source.get("subjects", [])
        ]
        terms = ("term1", "term2", "year")
        results = [
            ["Kết quả rèn luyện", *(_cell(summary["conduct"][k]) for k in terms)],
            ["Kết quả học tập", *(_cell(summary["learning"][k]) for k in terms)],
            ["Số ngày nghỉ", *(_cell(summary["absences"][k]) for k in terms)],
        ]
        return [
            {
                "title": "Kết quả học tập các môn học",
                "header": ["Môn học", "Học kì I", "Học kì II", "Cả năm"],
                "rows": subjects,
            },
            {
                "title": "Kết quả rèn luyện và học tập",
                "header": ["", "Học kì I", "Học kì II", "Cả năm"],
                "rows": results,
            },
            {
                "title": "Kết quả cuối năm",
                "header": ["Nội dung", "Kết quả"],
                "rows": [
                    ["Lên lớp / ở lại", _cell(summary.get("promotion"))],
                    ["Danh hiệu", _cell(summary.get("title"))],
                ],
            },
        ]
    subjects = [
        [s["name"], _cell(s.get("level")), _cell(s.get("score"))]
        for s in source.get("subjects", [])
    ]
    return [
        {
            "title": "Môn học và hoạt động giáo dục",
            "header": ["Môn học", "Mức đạt được", "Điểm KTĐK"],
            "rows": subjects,
        },
        {
            "title": "Kết quả cuối năm",
            "header": ["Nội dung", "Kết quả"],
            "rows": [
                ["Kết quả giáo dục", _cell(summary.get("result"))],
                ["Danh hiệu", _cell(summary.get("title"))],
                ["Hoàn thành chương trình lớp học", _cell(summary.get("completes_grade"))],
            ],
        },
    ]


def extract_payload(
    original: ArchivedOriginal,
    *,
    export_id: str,
    issued_at: datetime,
    recipient: str,
    purpose: str,
) -> dict[str, Any]:
    source = original.payload
    if original.record_type not in _HOC_BA:
        raise ExportRefused(
            f"{original.document_id} là sổ của cả lớp; chỉ trích lục được học bạ của một học sinh."
        )
    local = issued_at.astimezone(VIETNAM_TIME)
    place = source["province"]["name"].removeprefix("Tỉnh ").removeprefix("tỉnh ")
    keep = ("subjects", "summary", "qualities", "competences")
    return {
        "schema": EXTRACT_SCHEMA,
        "schema_version": EXTRACT_VERSION,
        "document_id": extract_document_id(export_id),
        "kind": "trich-luc-hoc-ba",
        "title": "Trích lục học bạ",
        "export_id": export_id,
        "issued_at": issued_at.isoformat(),
        "issued_on": f"{local:%d} tháng {local:%m} năm {local:%Y}",
        "place": place,
        "recipient": recipient,
        "purpose": purpose,
        "province": source["province"],
        "district": source["district"],
        "school": source["school"],
        "school_year": source["school_year"],
        "class": {"id": source["class"]["id"], "name": source["class"]["name"]},
        "student": {
            "code": source["student"]["code"],
            "full_name": source["student"]["full_name"],
            "birth_date": source["student"].get("birth_date"),
        },
        "source": {
            "document_id": original.document_id,
            "version": original.version,
            "record_type": original.record_type,
            "pdf_sha256": original.pdf_sha256,
            "content_hash": original.content_hash,
            "archive": {
                "index_key": original.index_key,
                "package_sha256": original.package_sha256,
            },
        },
        "tables": _tables(source),
        "data": {k: source[k] for k in keep if k in source},
    }


def check_sealer(seal: SignerIdentity, school_code: str) -> None:
    """Only the school itself signs its extracts (its certificate is checked again at signing)."""
    if seal.person_id != school_code:
        raise ExportRefused(
            f"Trích lục của trường {school_code} phải do chính trường ký (chữ ký số của tổ "
            f"chức), không phải «{seal.person_id}».",
            hint=f"Dùng khoá và chứng thư số của nhà trường (--as {school_code}).",
        )


def render_and_seal(
    ctx: Context, payload: dict[str, Any], seal: SignerIdentity
) -> tuple[RenderedPdf, bytes]:
    """The rendered extract and its signed bytes (seal B-LT, then the document timestamp)."""
    school = payload["school"]
    slot = seal_slot(school["code"], school["name"])
    check_sealer(seal, school["code"])
    rendered = render_extract(payload, slot, verify_url=ctx.settings.verify_url)
    apply_pyhanko_speedups()
    with signing_environment(ctx) as environment:
        signed = asyncio.run(_seal(ctx, rendered.pdf, slot, seal, environment))
    return rendered, signed


async def _seal(
    ctx: Context,
    pdf: bytes,
    slot: SignatureSlot,
    seal: SignerIdentity,
    environment: SigningEnvironment,
) -> bytes:
    with seal.backend.open_signer() as signer:
        certificate, chain = signer_certificates(signer)
        check = await async_check_signer(
            certificate,
            chain,
            trust_roots=environment.trust_roots,
            at=ctx.clock.now(),
            expected=expected_signer(slot),
        )
        check.raise_if_failed()
        async with environment.services() as services:
            signed = await async_sign_slot(
                pdf,
                field_name=slot.field_name,
                signer=signer,
                signer_name=slot.signer_name,
                role_label=slot.label,
                timestamper=services.timestamper,
                validation_context=services.validation_context(signer.signing_cert),
                level="B-LT",
                certify=True,
                field_locks=FieldLocks(slot.locks),
                signing_time=ctx.clock.now(),
            )
            return await async_add_document_timestamp(
                signed,
                timestamper=services.timestamper,
                validation_context=services.validation_context(),
            )
