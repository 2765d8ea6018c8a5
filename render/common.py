"""Pieces every form shares: page geometry, styles, the national header, tables, the place/date
line, signature blocks and the verification footer (text + QR code) drawn on every page.

Layout modules compose these; when the official form files arrive, the wording and sizes that all
forms share are corrected here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from render.fields import FieldRecorder
from render.fonts import BOLD, ITALIC, REGULAR, register_fonts
from render.text import SHORT_DOTS, markup, upper

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
SIGN_HINT = "(Ký và ghi rõ họ tên)"
SIGN_SEAL_HINT = "(Ký, ghi rõ họ tên và đóng dấu)"

# Signature field sizes (docs/rendering.md): big enough for a visible stamp with name, role, date.
BLOCK_FIELD = (52 * mm, 16 * mm)
SEAL_FIELD = (36 * mm, 16 * mm)


# ------------------------------------------------------------------ page geometry


@dataclass(frozen=True)
class PageGeometry:
    size: tuple[float, float]
    left: float
    right: float
    top: float
    bottom: float  # includes the footer band

    @property
    def width(self) -> float:
        return self.size[0] - self.left - self.right

    @property
    def height(self) -> float:
        return self.size[1] - self.top - self.bottom


# Học bạ pages follow Nghị định 30 margins loosely (binding edge left); the footer band holds the
# verification line and the QR code.
A4_PORTRAIT = PageGeometry(A4, 25 * mm, 15 * mm, 14 * mm, 27 * mm)
A4_LANDSCAPE = PageGeometry(landscape(A4), 15 * mm, 12 * mm, 12 * mm, 25 * mm)
A3_LANDSCAPE = PageGeometry(landscape(A3), 15 * mm, 12 * mm, 12 * mm, 25 * mm)


# ------------------------------------------------------------------ styles


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    body_bold: ParagraphStyle
    small: ParagraphStyle
    italic: ParagraphStyle
    italic_center: ParagraphStyle
    center: ParagraphStyle
    bold_center: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    section: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    head: ParagraphStyle
    cell_small: ParagraphStyle
    head_small: ParagraphStyle
    signer: ParagraphStyle


@cache
def styles() -> Styles:
    """Paragraph styles, all in Spectral (a style left on reportlab's default would pull in an
    unembedded Helvetica)."""
    register_fonts()

    def s(
        name: str,
        font: str = REGULAR,
        size: float = 11,
        lead: float | None = None,
        align: int = TA_LEFT,
        before: float = 0,
        after: float = 0,
    ) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            fontName=font,
            fontSize=size,
            leading=lead or size * 1.22,
            alignment=align,
            spaceBefore=before,
            spaceAfter=after,
        )

    return Styles(
        body=s("body"),
        body_bold=s("body_bold", BOLD),
        small=s("small", size=9),
        italic=s("italic", ITALIC),
        italic_center=s("italic_center", ITALIC, align=TA_CENTER),
        center=s("center", align=TA_CENTER),
        bold_center=s("bold_center", BOLD, align=TA_CENTER),
        title=s("title", BOLD, 26, align=TA_CENTER, after=2 * mm),
        subtitle=s("subtitle", BOLD, 14, align=TA_CENTER),
        section=s("section", BOLD, 12, before=3 * mm, after=1.5 * mm),
        cell=s("cell", size=10),
        cell_center=s("cell_center", size=10, align=TA_CENTER),
        head=s("head", BOLD, 9.5, align=TA_CENTER),
        cell_small=s("cell_small", size=8, lead=9.2),
        head_small=s("head_small", BOLD, 7.5, lead=8.6, align=TA_CENTER),
        signer=s("signer", BOLD, 11, align=TA_CENTER),
    )


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of payload text (escaped, line breaks kept)."""
    return Paragraph(markup(text), style)


def rich(markup_text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of trusted markup built by a layout (payload parts already escaped)."""
    return Paragraph(markup_text, style)


# ------------------------------------------------------------------ tables


def grid(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    header_rows: int = 1,
    font_size: float = 10,
    extra: Sequence[tuple[Any, ...]] = (),
    row_heights: Sequence[float | None] | None = None,
) -> Table:
    """A ruled table; plain-string cells are set in Spectral, values centred after column 0."""
    table = Table(rows, colWidths=list(widths), rowHeights=row_heights, repeatRows=header_rows)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, font_size, font_size * 1.2),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, header_rows), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                *extra,
            ]
        )
    )
    return table


def plain(
    rows: Sequence[Sequence[Any]], widths: Sequence[float], *, extra: Sequence[tuple[Any, ...]] = ()
) -> Table:
    """An unruled layout table (header, signature row); its cells are set in Spectral too."""
    table = Table(rows, colWidths=list(widths))
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 11),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                *extra,
            ]
        )
    )
    return table


class VerticalText(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Column header text turned 90° (narrow level columns of the class summaries)."""

    def __init__(self, text: str, font: str = BOLD, size: float = 7.5) -> None:
        super().__init__()
        self.text, self.font, self.size = text, font, size
        self.length = stringWidth(text, font, size)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.size * 1.2, self.length + 2

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFont(self.font, self.size)
        c.translate(self.size * 0.95, 1)
        c.rotate(90)
        c.drawString(0, 0, self.text)
        c.restoreState()


# ------------------------------------------------------------------ header and titles


def national_header(payload: dict[str, Any], width: float) -> Table:
    """Issuing authority and school (left), national name and motto with its rule (right)."""
    st = styles()
    left_w, right_w = width * 0.44, width * 0.56
    school = upper(payload["school"]["name"])
    motto_rule = stringWidth(MOTTO_2, BOLD, 12)
    left = [
        para(upper(payload["school"]["authority"]), st.center),
        para(school, st.bold_center),
        HRFlowable(
            width=min(stringWidth(school, BOLD, 11), left_w) * 0.4,
            thickness=0.6,
            color=colors.black,
            spaceBefore=1.5,
            hAlign="CENTER",
        ),
    ]
    right = [
        para(MOTTO_1, st.bold_center),
        para(MOTTO_2, ParagraphStyle("motto", parent=st.bold_center, fontSize=12, leading=14.5)),
        HRFlowable(
            width=motto_rule, thickness=0.6, color=colors.black, spaceBefore=1.5, hAlign="CENTER"
        ),
    ]
    return plain([[left, right]], [left_w, right_w], extra=[("ALIGN", (0, 0), (-1, -1), "CENTER")])


def place_date(payload: dict[str, Any]) -> str:
    """ "Lào Cai, ngày …… tháng …… năm ……": the payload carries no date, so the dots stay for the
    signer to fill by hand (a clock date would break byte-identical output)."""
    place = payload["province"]["name"].removeprefix("Tỉnh ").removeprefix("tỉnh ")
    return f"{place}, ngày {SHORT_DOTS} tháng {SHORT_DOTS} năm {SHORT_DOTS}"


def info_line(pairs: Sequence[tuple[str, str]], style: ParagraphStyle | None = None) -> Paragraph:
    """ "Họ và tên: <b>…</b>   Lớp: <b>…</b>   Năm học: <b>…</b>"."""
    parts = [f"{markup(label)}: <b>{markup(value)}</b>" for label, value in pairs]
    return rich("&nbsp;&nbsp;&nbsp;&nbsp;".join(parts), style or styles().body)


def section(text: str) -> Paragraph:
    return para(text, styles().section)


# ------------------------------------------------------------------ signature blocks


def _line(text: str, style: ParagraphStyle) -> Paragraph:
    """A line of text; an empty one keeps its height (aligns blocks side by side)."""
    return para(text, style) if text else rich("&nbsp;", style)


def signature_block(
    fields: FieldRecorder,
    field_name: str,
    heading: Sequence[str],
    hint: str,
    signer_name: str,
    width: float,
    *,
    above: Sequence[str] = (),
    field_size: tuple[float, float] = BLOCK_FIELD,
) -> list[Flowable]:
    """Heading (bold capitals), hint (italic), the empty signature field, the signer's name."""
    st = styles()
    out: list[Flowable] = [_line(line, st.italic_center) for line in above]
    out += [para(line, st.bold_center) for line in heading]
    out.append(para(hint, st.italic_center))
    out.append(Spacer(1, 1 * mm))
    out.append(fields.box(field_name, *field_size, h_align="CENTER"))
    out.append(Spacer(1, 1 * mm))
    out.append(para(signer_name, st.signer))
    return out


def homeroom_and_principal(
    payload: dict[str, Any], fields: FieldRecorder, col: float, width: float
) -> Flowable:
    """The class records' foot: the homeroom teacher left, the principal (with place and date)
    right, side by side and kept together."""
    homeroom = fields.slot("gvcn")
    principal = fields.slot("hieu_truong")
    gvcn = signature_block(
        fields,
        "gvcn",
        ["GIÁO VIÊN CHỦ NHIỆM"],
        SIGN_HINT,
        homeroom.signer_name if homeroom else payload["class"]["homeroom_teacher"]["full_name"],
        col,
        above=[""],
    )
    head = signature_block(
        fields,
        "hieu_truong",
        ["HIỆU TRƯỞNG"],
        SIGN_SEAL_HINT,
        principal.signer_name if principal else payload["principal"]["full_name"],
        col,
        above=[place_date(payload)],
    )
    return KeepTogether([plain([[gvcn, "", head]], [col, width - 2 * col, col])])


def principal_with_seal(
    fields: FieldRecorder,
    heading: Sequence[str],
    signer_name: str,
    width: float,
    *,
    above: Sequence[str] = (),
) -> Flowable:
    """The principal's block, with the school's seal signature as a labelled box to its left.

    Nghị định 30 puts the seal over the left third of the signature; as two digital signatures
    with their own visible stamps they would print over each other, so the seal gets its own box
    beside the principal's field (docs/rendering.md). Heading, field and name are centred on the
    principal's column.
    """
    st = styles()
    seal_w, seal_h = SEAL_FIELD
    sign_w, sign_h = BLOCK_FIELD
    left = seal_w + 3 * mm
    right = max(width - left, sign_w)
    title: list[Flowable] = [_line(line, st.italic_center) for line in above]
    title += [para(line, st.bold_center) for line in heading]
    title.append(para(SIGN_SEAL_HINT, st.italic_center))
    title.append(Spacer(1, 1 * mm))
    seal_caption = ParagraphStyle("seal", parent=st.small, alignment=TA_CENTER)
    has_seal = fields.has("con_dau")
    return plain(
        [
            ["", title],
            [
                fields.box("con_dau", seal_w, seal_h, outline=True),
                fields.box("hieu_truong", sign_w, sign_h, h_align="CENTER"),
            ],
            [
                para("Dấu của nhà trường", seal_caption) if has_seal else "",
                [Spacer(1, 1 * mm), para(signer_name, st.signer)],
            ],
        ],
        [left, right],
        extra=[("ALIGN", (1, 1), (1, 1), "CENTER")],
    )


# ------------------------------------------------------------------ footer and QR code


@dataclass(frozen=True)
class FooterInfo:
    document_id: str
    short_hash: str  # first 12 hex digits of the payload's SHA-256
    qr_data: str
    geometry: PageGeometry


_QR_FORM = "hsdtQr"
_TOTAL_FORM = "hsdtPages"
QR_SIZE = 17 * mm
# The footer band spans QR_BOTTOM … QR_BOTTOM + QR_SIZE + 1 mm, inside every page's bottom margin.
QR_BOTTOM = 5 * mm


class RecordCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """A canvas that stamps the verification footer on every page as it closes.

    The QR code is drawn once as a form XObject and reused on every page; the page total
    ("Trang 3/12") is a form defined when the document is saved, so one layout pass suffices.
    """

    def __init__(self, *args: Any, footer: FooterInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._forms_defined = False
        self._qr_module = 0.0

    def _define_qr(self) -> None:
        qr = segno.make(self._footer.qr_data, error="m", micro=False)
        rows = [list(row) for row in qr.matrix]
        n = len(rows) + 8  # quiet zone of 4 modules on each side
        module = QR_SIZE / n
        self._qr_module = module
        self.beginForm(_QR_FORM, 0, 0, QR_SIZE, QR_SIZE)
        self.setFillColor(colors.black)
        path = self.beginPath()
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):  # one rectangle per horizontal run of dark modules
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    path.rect(
                        (start + 4) * module,
                        QR_SIZE - (r + 5) * module,
                        (c - start) * module,
                        module,
                    )
                else:
                    c += 1
        self.drawPath(path, stroke=0, fill=1)
        self.endForm()

    def showPage(self) -> None:
        if not self._forms_defined:
            self._define_qr()
            self._forms_defined = True
        self._draw_footer()
        super().showPage()

    def _draw_footer(self) -> None:
        f = self._footer
        width = self._pagesize[0]
        left, right, base = f.geometry.left, f.geometry.right, 12 * mm
        self.saveState()
        self.setStrokeColor(colors.black)
        self.setLineWidth(0.4)
        self.line(left, QR_BOTTOM + QR_SIZE + 1 * mm, width - right, QR_BOTTOM + QR_SIZE + 1 * mm)
        text = (
            f"Mã hồ sơ: {f.document_id} · Mã kiểm tra: {f.short_hash} · "
            f"Trang {self.getPageNumber()}/"
        )
        self.setFont(REGULAR, 8.5)
        self.setFillColor(colors.black)
        self.drawString(left, base + 4 * mm, text)
        self.saveState()
        self.translate(left + stringWidth(text, REGULAR, 8.5), base + 4 * mm)
        self.doForm(_TOTAL_FORM)
        self.restoreState()
        self.setFont(ITALIC, 7.5)
        self.drawString(
            left,
            base,
            "Quét mã QR hoặc nhập mã hồ sơ và mã kiểm tra để xác minh hồ sơ điện tử này.",
        )
        self.translate(width - right - QR_SIZE + 4 * self._qr_module, QR_BOTTOM)
        self.doForm(_QR_FORM)
        self.restoreState()

    def save(self) -> None:
        total = self.getPageNumber() - 1
        self.beginForm(_TOTAL_FORM, 0, -3, 40, 12)
        self.setFont(REGULAR, 8.5)
        self.setFillColor(colors.black)
        self.drawString(0, 0, str(total))
        self.endForm()
        super().save()
