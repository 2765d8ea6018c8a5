"""The demo's last act: the clerk exports one student's bundle, and a member of the public checks
one PDF of it through the public verification endpoint (``POST /api/v1/verify``), in-process: the
ASGI app under httpx, as a browser's upload would reach it, with no server to start.

    export_student(ctx, people, student, out_dir) -> ExportDone      # once per student
    verify_publicly(ctx, pdf) -> PublicCheck                         # the Vietnamese verdict
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from service.context import Context
from service.demo_people import DemoPeople
from service.errors import HsdtError
from service.exports import ExportRequest, export_bundle, export_register

PURPOSE = "Gia đình lưu bản sao học bạ (chạy thử)"


@dataclass(frozen=True)
class ExportDone:
    export_id: str
    path: Path
    documents: tuple[str, ...]  # document ids in the bundle
    created: bool  # False: the demo had exported it before (re-run)


@dataclass(frozen=True)
class PublicCheck:
    verdict: str  # valid, superseded, tampered…
    headline: str  # «Hợp lệ»
    explanation: str
    signers: tuple[str, ...]  # «Nguyễn Thị Lan (Giáo viên chủ nhiệm)»
    archive: str  # what the archive says about these bytes
    current: bool  # the bytes are the record's current version


def bundle_path(ctx: Context, student: str) -> Path:
    return ctx.home.root / "exports" / f"ho-so-{student}.zip"


def export_student(ctx: Context, people: DemoPeople, student: str) -> ExportDone:
    """The clerk issues the student's bundle to the family — unless the demo did already."""
    path = bundle_path(ctx, student)
    for entry in export_register(ctx, student_code=student):
        if entry.purpose == PURPOSE and path.is_file():
            return ExportDone(entry.export_id, path, _documents(path.read_bytes()), False)
    request = ExportRequest(
        student_code=student, recipient=people.student.full_name + " (học sinh)", purpose=PURPOSE
    )
    clerk = people.clerk
    issued = export_bundle(replace(ctx, actor=clerk.username), clerk.principal, request, out=path)
    return ExportDone(issued.export_id, path, _documents(issued.data), True)


def _documents(zip_data: bytes) -> tuple[str, ...]:
    with zipfile.ZipFile(io.BytesIO(zip_data)) as bundle:
        return tuple(
            n.removeprefix("ho-so/").removesuffix(".pdf")
            for n in bundle.namelist()
            if n.startswith("ho-so/") and n.endswith(".pdf")
        )


def pdf_in_bundle(path: Path, document_id: str) -> bytes:
    with zipfile.ZipFile(path) as bundle:
        return bundle.read(f"ho-so/{document_id}.pdf")


def verify_publicly(ctx: Context, pdf: bytes) -> PublicCheck:
    """Upload ``pdf`` to the public endpoint of this home and read its answer."""
    import httpx

    from api.public.router import create_public_app  # the demo plays the citizen: HTTP in

    async def upload() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_public_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://hsdt.demo") as client:
            return await client.post(
                "/api/v1/verify",
                files={"file": ("ho-so.pdf", pdf, "application/pdf")},
                timeout=120,
            )

    response = asyncio.run(upload())
    body: dict[str, Any] = response.json()
    if response.status_code != 200:
        raise HsdtError(
            f"Trang xác minh công khai trả lỗi {response.status_code}: "
            f"{body.get('message') or body.get('detail') or body}",
            hint="Xem nhật ký trong thư mục logs/ của home.",
        )
    archive = body["archive"]
    return PublicCheck(
        verdict=body["verdict"],
        headline=body["headline"],
        explanation=body["explanation"],
        signers=tuple(
            f"{s['name']} ({s['role']})" if s.get("role") else s["name"] for s in body["signers"]
        ),
        archive=archive["message"],
        current=archive["status"] == "archived"
        and archive["matched_version"] == archive["current_version"],
    )
