"""PDF/A-3b: every render is checked; a broken file raises instead of being returned."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pikepdf.pdfa
import pytest
from render_helpers import VERIFY_URL, Case, reopen, tool

from render import PdfaCheckError, RenderError, pdfa, render_document, verify
from render.fields import check_signature_fields


def test_pikepdf_pdfa_passes_everything_but_the_signature_widgets(case: Case) -> None:
    with reopen(case.result.pdf) as pdf:
        widgets = {w.objgen for w in pdf.Root.AcroForm.Fields}
        del pdf.Root["/AcroForm"]  # else pikepdf.pdfa stops at the catalog ("unsupported")
        report = pikepdf.pdfa.check(pdf, "3b", **pdfa.SAVE_KWARGS)
    assert not report.violations, report.summary()
    # the only findings: one "unsupported" per signature widget, which render.fields checks
    assert all(f.rule == pdfa.WIDGET_RULE for f in report.unsupported), report.summary()
    assert len(report.unsupported) == len(widgets) == len(case.slots)


def test_written_bytes_verify(case: Case) -> None:
    assert verify(case.result.pdf, case.doc.document_id, [s.field_name for s in case.slots]) == (
        case.result.pages
    )


def test_xmp_declares_pdfa_3b_and_docinfo_agrees(case: Case) -> None:
    meta = tool("pdfinfo", "-meta", str(case.path))
    assert "<pdfaid:part" in meta and ">3</pdfaid:part>" in meta
    assert ">B</pdfaid:conformance>" in meta
    info = tool("pdfinfo", str(case.path))
    title = next(line for line in info.splitlines() if line.startswith("Title:"))
    assert case.doc.payload["class"]["name"] in title
    assert "CreationDate" not in info  # no clock dates anywhere
    with reopen(case.result.pdf) as pdf:
        assert str(pdf.Root.Lang) == "vi-VN"
        assert [str(i.S) for i in pdf.Root.OutputIntents] == ["/GTS_PDFA1"]
        assert all("/Trans" not in p.obj for p in pdf.pages)


def test_qpdf_check_passes(case: Case) -> None:
    run = subprocess.run(["qpdf", "--check", str(case.path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No syntax or stream encoding errors" in run.stdout


def _with_unembedded_helvetica(data: bytes) -> bytes:
    with reopen(data) as pdf:
        page = pdf.pages[0]
        page.obj.Resources.Font.HsdtBad = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        page.contents_add(pikepdf.Stream(pdf, b"BT /HsdtBad 9 Tf 40 40 Td (x) Tj ET"))
        out = io.BytesIO()
        pdf.save(out, **pdfa.SAVE_KWARGS)
        return out.getvalue()


def test_an_unembedded_font_fails_the_check_with_its_rule(case: Case) -> None:
    broken = _with_unembedded_helvetica(case.result.pdf)
    with pytest.raises(PdfaCheckError) as e:
        verify(broken, case.doc.document_id, [s.field_name for s in case.slots])
    assert "ISO_19005_3:6.2.11.4.1-1" in e.value.rule_ids
    assert case.doc.document_id in str(e.value)


def test_a_broken_post_processing_makes_render_document_raise(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection into the real pipeline: the conversion "forgets" the OutputIntent."""
    convert = pdfa.convert

    def convert_without_output_intent(pdf: pikepdf.Pdf, *args: object) -> None:
        convert(pdf, *args)  # type: ignore[arg-type]
        del pdf.Root["/OutputIntents"]

    monkeypatch.setattr(pdfa, "convert", convert_without_output_intent)  # engine calls pdfa.convert
    with pytest.raises(RenderError) as e:
        render_document(case.doc, case.slots, verify_url=VERIFY_URL)
    assert isinstance(e.value, PdfaCheckError)
    # device RGB without an OutputIntent
    assert "ISO_19005_3:6.2.4.3-2" in e.value.rule_ids


def test_a_hidden_signature_field_fails_the_field_check(case: Case) -> None:
    with reopen(case.result.pdf) as pdf:
        pdf.Root.AcroForm.Fields[0].F = 2  # Hidden, not Print
        problems = check_signature_fields(pdf, [s.field_name for s in case.slots])
        out = io.BytesIO()
        pdf.save(out, **pdfa.SAVE_KWARGS)
    assert "ISO_19005_3:6.3.2-2" in {rule for rule, _ in problems}
    with pytest.raises(PdfaCheckError) as e:
        verify(out.getvalue(), case.doc.document_id, [s.field_name for s in case.slots])
    assert "ISO_19005_3:6.3.2-2" in e.value.rule_ids
