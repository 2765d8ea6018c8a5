"""A verification report in plain Vietnamese, for ``hsdt verify`` without ``--json``.

Pure formatting of a :class:`~signing.verify.VerificationReport`: one paragraph per signature and
per document timestamp, the problems found, and one bottom line (HỢP LỆ / KHÔNG HỢP LỆ). Times are
shown in Vietnam time.
"""

from __future__ import annotations

from datetime import datetime

from signing.appearance import VIETNAM_TIME
from signing.verify import (
    DocumentTimestampReport,
    LtaReport,
    Severity,
    SignatureReport,
    VerificationReport,
)

__all__ = ["DEMO_BANNER", "render_report"]

DEMO_BANNER = "*** CHẾ ĐỘ THỬ NGHIỆM: tin cậy PKI phát triển — chữ ký không có giá trị pháp lý. ***"

_CHANGES = {
    "none": "sau chữ ký không có thay đổi nào",
    "lta_updates": "sau chữ ký chỉ bổ sung dữ liệu kiểm tra và dấu thời gian",
    "form_filling": "sau chữ ký chỉ có các chữ ký tiếp theo",
    "annotations": "sau chữ ký có thêm chú thích",
    "other": "sau chữ ký tệp bị sửa ngoài phạm vi cho phép",
}
_DOCMDP = {
    "no_changes": "không cho phép thay đổi",
    "fill_forms": "cho phép điền biểu mẫu và ký",
    "annotate": "cho phép điền biểu mẫu, ký và chú thích",
}


def _time(at: datetime) -> str:
    local = at.astimezone(VIETNAM_TIME)
    return f"{local:%H:%M:%S} ngày {local:%d/%m/%Y}"


def _yes(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def _signature(number: int, sig: SignatureReport) -> str:
    who = sig.signer_name + (f" ({sig.role})" if sig.role else "")
    if sig.timestamp is not None:
        when = f"lúc {_time(sig.timestamp.time)} theo dấu thời gian của «{sig.timestamp.tsa}»"
    elif sig.claimed_time is not None:
        when = f"lúc {_time(sig.claimed_time)} (giờ máy người ký, không có dấu thời gian)"
    else:
        when = "không rõ thời điểm ký"
    facts = [
        _yes(sig.intact and sig.valid, "nguyên vẹn", "KHÔNG nguyên vẹn"),
        _yes(sig.trusted, "chứng thư tin cậy", "chứng thư KHÔNG tin cậy"),
        _yes(
            sig.revocation_info_embedded,
            "có thông tin thu hồi trong tệp",
            "THIẾU thông tin thu hồi trong tệp",
        ),
    ]
    if sig.modification_level is not None:
        change = _CHANGES.get(sig.modification_level, sig.modification_level)
        allowed = {True: "được phép", False: "KHÔNG được phép", None: "chưa xác định"}
        facts.append(f"{change} ({allowed[sig.changes_allowed]})")
    lines = [f"{number}. Chữ ký của {who}, ô «{sig.field_name}», {when} — {', '.join(facts)}."]
    if sig.certifies:
        policy = _DOCMDP.get(sig.docmdp or "", sig.docmdp or "không rõ")
        lines.append(f"   Chữ ký chứng thực hồ sơ: {policy}.")
    if sig.locks:
        lines.append(f"   Khóa các ô: {', '.join(sig.locks)}.")
    return "\n".join(lines)


def _timestamp(ts: DocumentTimestampReport) -> str:
    facts = [
        _yes(ts.intact and ts.valid, "nguyên vẹn", "KHÔNG nguyên vẹn"),
        _yes(ts.trusted, "tin cậy", "KHÔNG tin cậy"),
    ]
    return (
        f"- Dấu thời gian lưu trữ «{ts.field_name}» lúc {_time(ts.time)} của «{ts.tsa}» — "
        f"{', '.join(facts)}."
    )


def _lta(lta: LtaReport) -> str:
    if lta.status == "ok":
        renew = f" Cần gia hạn trước {_time(lta.renew_before)}." if lta.renew_before else ""
        return (
            "Lưu trữ dài hạn (PAdES B-LTA): đạt — kiểm tra được chỉ với dữ liệu nhúng trong tệp."
            + renew
        )
    if lta.status == "missing":
        return "Lưu trữ dài hạn (PAdES B-LTA): chưa có dấu thời gian lưu trữ."
    return "Lưu trữ dài hạn (PAdES B-LTA): KHÔNG đạt."


def render_report(report: VerificationReport) -> str:
    """The whole report as text; the last line is the verdict."""
    out: list[str] = []
    if report.demo_mode:
        out.append(DEMO_BANNER)
    out.append(f"Tệp SHA-256 {report.sha256} ({report.size} byte).")
    if report.signatures:
        out.append("")
        out.append("Chữ ký:")
        out.extend(_signature(i, s) for i, s in enumerate(report.signatures, start=1))
    if report.timestamps:
        out.append("")
        out.extend(_timestamp(t) for t in report.timestamps)
    if report.signatures:
        out.append(_lta(report.lta))
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    if errors:
        out.append("")
        out.append("Lỗi:")
        out.extend(f"- [{f.code.value}] {f.message}" for f in errors)
    if warnings:
        out.append("")
        out.append("Lưu ý:")
        out.extend(f"- [{f.code.value}] {f.message}" for f in warnings)
    out.append("")
    out.append(f"KẾT LUẬN: {'HỢP LỆ' if report.bottom_line else 'KHÔNG HỢP LỆ'}")
    if report.demo_mode:
        out.append(DEMO_BANNER)
    return "\n".join(out)
