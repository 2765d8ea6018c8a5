"""The export bundle: a deterministic ZIP of signed PDFs, their verification reports, the trust
roots, a Vietnamese note on how to verify, and a manifest with the SHA-256 of every file.

Layout::

    HUONG-DAN-XAC-MINH.txt              how to verify online and offline (Vietnamese)
    manifest.json                       export id, who/when/for whom/why, every file's SHA-256
    ho-so/<document id>.pdf             the signed PDF/A, byte for byte as archived (or the extract)
    bao-cao-xac-minh/<document id>.txt  our verifier's report at export time, in Vietnamese
    bao-cao-xac-minh/<document id>.json the same report as JSON
    chung-thu-goc/<sha256[:16]>.pem     the trust roots the reports were made against

Determinism: entries in a fixed order, a fixed timestamp (1980-01-01) and fixed attributes, so the
same documents exported twice give the same bytes except ``manifest.json`` (export id, time,
recipient, purpose). Pure: no I/O here.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from signing.report_text import render_report
from signing.verify import VerificationReport

NOTE_NAME = "HUONG-DAN-XAC-MINH.txt"
MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "hsdt/export-manifest"
MANIFEST_VERSION = 1
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleDocument:
    """One PDF of the bundle with what the manifest says about it."""

    document_id: str
    pdf: bytes
    report: VerificationReport
    verify_link: str  # the public verification URL of this document
    describe: dict[str, Any]  # version, record type, school year, archived original…

    @property
    def pdf_name(self) -> str:
        return f"ho-so/{self.document_id}.pdf"


@dataclass(frozen=True)
class BundleHeader:
    export_id: str
    kind: str  # "bundle" | "extract"
    issued_at: str  # ISO 8601
    issued_by: str
    school: dict[str, str]
    student: dict[str, str]
    recipient: str
    purpose: str
    delivery: str


def root_name(root: x509.Certificate) -> str:
    fingerprint = hashlib.sha256(root.public_bytes(Encoding.DER)).hexdigest()
    return f"chung-thu-goc/{fingerprint[:16]}.pem"


def content_files(
    documents: Sequence[BundleDocument], roots: Sequence[x509.Certificate], demo_mode: bool
) -> dict[str, bytes]:
    """Every file but the manifest, by name (the part that is the same for the same documents)."""
    files: dict[str, bytes] = {}
    for doc in documents:
        files[doc.pdf_name] = doc.pdf
        text = render_report(doc.report)
        files[f"bao-cao-xac-minh/{doc.document_id}.txt"] = text.encode("utf-8")
        report_json = json.dumps(doc.report.to_json(), ensure_ascii=False, indent=2, default=str)
        files[f"bao-cao-xac-minh/{doc.document_id}.json"] = (report_json + "\n").encode("utf-8")
    for root in roots:
        files[root_name(root)] = root.public_bytes(Encoding.PEM)
    files[NOTE_NAME] = note(documents, [root_name(r) for r in roots], demo_mode).encode("utf-8")
    return files


def note(documents: Sequence[BundleDocument], root_files: Sequence[str], demo_mode: bool) -> str:
    """HUONG-DAN-XAC-MINH.txt: how anyone can check these documents, online and offline."""
    lines = [
        "HƯỚNG DẪN XÁC MINH HỒ SƠ ĐIỆN TỬ",
        "",
        "Các tệp PDF trong thư mục ho-so/ là hồ sơ điện tử có chữ ký số (PAdES, định dạng",
        "PDF/A-3b) do nhà trường cấp. Mỗi tệp còn đính kèm dữ liệu gốc (JSON) của hồ sơ.",
        "Tệp manifest.json ghi mã bản xuất và mã băm SHA-256 của từng tệp trong gói này.",
        "",
        "1. Xác minh trực tuyến",
        "   Mở đường dẫn dưới đây (hoặc quét mã QR ở chân mỗi trang hồ sơ):",
    ]
    for doc in documents:
        lines.append(f"   - {doc.document_id}: {doc.verify_link}")
    lines += [
        "   Trang xác minh cho biết hồ sơ có trong hệ thống của nhà trường hay không và mã",
        "   kiểm tra có khớp hay không.",
        "",
        "2. Xác minh ngoại tuyến (không cần mạng)",
        "   a) Với phần mềm hsdt:",
    ]
    roots = (
        " ".join(f"--trust-root {name}" for name in root_files) or "--trust-root <CHỨNG_THƯ_GỐC>"
    )
    for doc in documents:
        lines.append(f"        hsdt verify --no-home {roots} {doc.pdf_name}")
    lines += [
        "      Kết quả «HỢP LỆ» nghĩa là mọi chữ ký còn nguyên vẹn, chứng thư số thuộc tổ chức",
        "      chứng thực được tin cậy và tệp không bị sửa sau khi ký.",
        "   b) Với phần mềm đọc PDF có kiểm tra chữ ký số (ví dụ Adobe Acrobat Reader): mở tệp,",
        "      xem bảng «Chữ ký» (Signatures); cần tin cậy chứng thư gốc trong thư mục",
        "      chung-thu-goc/ hoặc chứng thư gốc quốc gia.",
        "   c) Đối chiếu mã băm: SHA-256 của từng tệp phải trùng với manifest.json",
        "      (ví dụ: sha256sum ho-so/*.pdf).",
        "",
        "3. Báo cáo xác minh lúc xuất",
        "   Thư mục bao-cao-xac-minh/ chứa kết quả kiểm tra của nhà trường lúc cấp gói này",
        "   (bản đọc .txt và bản máy đọc .json).",
    ]
    if demo_mode:
        lines += [
            "",
            "LƯU Ý: gói này được tạo ở CHẾ ĐỘ THỬ NGHIỆM, chứng thư gốc là của PKI phát triển;",
            "chữ ký không có giá trị pháp lý.",
        ]
    return "\n".join(lines) + "\n"


def manifest(
    header: BundleHeader, documents: Sequence[BundleDocument], files: dict[str, bytes]
) -> bytes:
    data = {
        "schema": MANIFEST_SCHEMA,
        "schema_version": MANIFEST_VERSION,
        "export_id": header.export_id,
        "kind": header.kind,
        "issued_at": header.issued_at,
        "issued_by": header.issued_by,
        "school": header.school,
        "student": header.student,
        "recipient": header.recipient,
        "purpose": header.purpose,
        "delivery": header.delivery,
        "documents": [
            {
                "document_id": d.document_id,
                "file": d.pdf_name,
                "sha256": hashlib.sha256(d.pdf).hexdigest(),
                "verification": {
                    "bottom_line": d.report.bottom_line,
                    "text": f"bao-cao-xac-minh/{d.document_id}.txt",
                    "json": f"bao-cao-xac-minh/{d.document_id}.json",
                },
                "verify_url": d.verify_link,
                **d.describe,
            }
            for d in documents
        ],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP with fixed entry order, times and attributes: same files → same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files, key=_order):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whichever system writes it
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=6)
    return buffer.getvalue()


def _order(name: str) -> tuple[int, str]:
    """The note and the manifest first (what a person opens), then the folders."""
    return ({NOTE_NAME: 0, MANIFEST_NAME: 1}.get(name, 2), name)
