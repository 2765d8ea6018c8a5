"""Checks for the published PDF signature attacks that pyHanko's own validation does not name.

pyHanko already catches most of them (digest over the byte range, coverage of a whole revision,
difference analysis of every later revision); see docs/hostile-inputs.md for which check catches
which attack. Two gaps remain, and these checks close them:

- **Forged signature dictionaries** (universal signature forgery, signature wrapping): a missing,
  empty or null ``/Contents``; a ``/ByteRange`` that is not four non-negative integers starting
  at 0, that overlaps its own ``/Contents`` or reaches past the end of the file; a ``/SubFilter``
  outside PAdES/CMS/RFC 3161; a ``/Cert`` (the PKCS#1 ``adbe.x509.rsa_sha1`` form, which PAdES
  does not allow). pyHanko reports some as a parse error, some only as "not intact"; here each
  gets a reason a person can act on.
- **Hide-and-replace by trailer** (shadow attacks): an update that adds no object and only
  points the trailer's ``/Root`` at a catalog that was already in the signed bytes (unused there)
  is not a change pyHanko's difference analysis compares. A signed record's catalog never changes
  identity, so any later revision with another ``/Root`` is reported.

Pure: the caller turns each :class:`Problem` into a finding with its stable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = ["Problem", "attack_problems"]

_SUBFILTERS = {"/ETSI.CAdES.detached", "/adbe.pkcs7.detached", "/ETSI.RFC3161"}


@dataclass(frozen=True)
class Problem:
    kind: Literal["malformed", "root_replaced"]
    field_name: str | None
    message: str  # Vietnamese


def attack_problems(
    reader: PdfFileReader, pdf: bytes, fields: list[tuple[str, Any, Any]]
) -> list[Problem]:
    """Problems of the filled signature ``fields`` (from ``enumerate_sig_fields``) and of the
    revision history of ``pdf``. Never raises: what cannot be read is a problem, not a crash."""
    out: list[Problem] = []
    for name, sig, _ in fields:
        try:
            reason = _dictionary_problem(sig, len(pdf), pdf)
        except Exception as e:  # a dictionary too broken to inspect is itself the finding
            reason = f"không đọc được từ điển chữ ký ({type(e).__name__})"
        if reason is not None:
            out.append(
                Problem(
                    "malformed",
                    name,
                    f"Chữ ký «{name}»: {reason} — cấu trúc chữ ký bị giả mạo hoặc hỏng.",
                )
            )
    out += _root_replacements(reader, fields)
    return out


def _dictionary_problem(sig: Any, size: int, pdf: bytes) -> str | None:
    if isinstance(sig, generic.IndirectObject):
        sig = sig.get_object()  # type: ignore[no-untyped-call]  # unannotated upstream
    if not isinstance(sig, generic.DictionaryObject):
        return "giá trị của ô chữ ký không phải từ điển chữ ký"
    subfilter = sig.get("/SubFilter")
    if subfilter is None or str(subfilter) not in _SUBFILTERS:
        return f"kiểu chữ ký /SubFilter «{subfilter}» không được chấp nhận"
    if "/Cert" in sig:
        return "có mục /Cert (chữ ký kiểu PKCS#1 cũ), không phải chữ ký PAdES"
    contents = sig.get("/Contents")
    if not isinstance(contents, generic.ByteStringObject | generic.TextStringObject):
        return "thiếu giá trị chữ ký /Contents (hoặc không phải chuỗi byte)"
    if not bytes(contents.original_bytes).strip(b"\x00"):
        return "giá trị chữ ký /Contents rỗng"
    byte_range = sig.get("/ByteRange")
    if not isinstance(byte_range, generic.ArrayObject) or len(byte_range) != 4:
        return "thiếu vùng ký /ByteRange (cần đúng bốn số)"
    values = [v for v in byte_range if isinstance(v, int) and not isinstance(v, bool)]
    if len(values) != 4 or any(v < 0 for v in values):
        return "vùng ký /ByteRange chứa giá trị không phải số nguyên không âm"
    a, b, c, d = values
    if a != 0 or b == 0 or d == 0:
        return f"vùng ký /ByteRange [{a} {b} {c} {d}] không bắt đầu từ đầu tệp hoặc rỗng"
    if c + d > size:
        return f"vùng ký /ByteRange [{a} {b} {c} {d}] vượt quá cuối tệp ({size} byte)"
    gap = pdf[b:c]
    expected = 2 * len(contents.original_bytes) + 2
    if c <= b or not (gap.startswith(b"<") and gap.endswith(b">")) or len(gap) != expected:
        return (
            f"vùng ký /ByteRange [{a} {b} {c} {d}] không khớp đúng vị trí giá trị chữ ký "
            "/Contents (chồng lên hoặc lệch khỏi nó)"
        )
    return None


def _root_replacements(reader: PdfFileReader, fields: list[tuple[str, Any, Any]]) -> list[Problem]:
    try:
        total = reader.xrefs.total_revisions
        roots = [_root_id(reader, revision) for revision in range(total)]
    except Exception:  # a history we cannot read is reported by the other checks
        return []
    changed = [r for r in range(1, total) if roots[r] != roots[r - 1]]
    if not changed:
        return []
    out = []
    for name, _, _ in fields:
        out.append(
            Problem(
                "root_replaced",
                name,
                f"Chữ ký «{name}»: phiên bản {changed[-1] + 1} của tệp thay danh mục gốc (/Root) "
                "của tài liệu bằng một đối tượng khác — dấu hiệu tấn công «ẩn và thay thế» "
                "(shadow attack): nội dung hiển thị không còn là nội dung đã ký.",
            )
        )
    return out


def _root_id(reader: PdfFileReader, revision: int) -> tuple[int, int]:
    ref = reader.trailer.raw_get("/Root", revision=revision)
    return (ref.idnum, ref.generation)
