"""The Vietnamese text rendering of a verification report."""

from __future__ import annotations

import dataclasses
import unicodedata

from pades.documents import append_page_content
from signing.devpki import DevPki
from signing.report_text import DEMO_BANNER, render_report
from signing.verify import verify_pdf


def test_a_valid_record_reads_hop_le_with_each_signer_and_role(
    signed_record: bytes, dev_pki: DevPki
) -> None:
    report = verify_pdf(signed_record, trust_roots=dev_pki.trust_roots(), demo_mode=True)
    text = render_report(report)

    assert text.splitlines()[-2] == "KẾT LUẬN: HỢP LỆ"
    assert text.startswith(DEMO_BANNER) and text.endswith(DEMO_BANNER)
    assert "1. Chữ ký của Nguyễn Văn An (Giáo viên bộ môn Toán), ô «gvbm_TOAN», lúc " in text
    assert "nguyên vẹn, chứng thư tin cậy, có thông tin thu hồi trong tệp" in text
    assert "Chữ ký chứng thực hồ sơ: cho phép điền biểu mẫu và ký." in text
    assert "Khóa các ô: gvbm_TOAN, gvcn." in text
    assert "PAdES B-LTA): đạt" in text
    assert "Lỗi:" not in text
    assert unicodedata.is_normalized("NFC", text)


def test_a_tampered_record_reads_khong_hop_le_with_the_reasons(
    signed_record: bytes, dev_pki: DevPki
) -> None:
    report = verify_pdf(
        append_page_content(signed_record), trust_roots=dev_pki.trust_roots(), demo_mode=False
    )
    assert report.demo_mode  # the development root is recognised whatever the caller says
    text = render_report(dataclasses.replace(report, demo_mode=False))

    assert text.splitlines()[-1] == "KẾT LUẬN: KHÔNG HỢP LỆ"
    assert DEMO_BANNER not in text
    assert "[sig.modified_after]" in text and "[lta.not_last]" in text
    assert "sau chữ ký tệp bị sửa ngoài phạm vi cho phép (KHÔNG được phép)" in text
