"""Empty signature fields: placed by the layout at draw time, created in the PDF by pikepdf.

A layout puts a :class:`SignatureBox` where the form has a signature; when reportlab draws it, the
box records its page and absolute rectangle. After the PDF/A post-processing, one unsigned
signature field per slot of the signing plan is created at that rectangle, in the base revision
(not an incremental update), so every later signature is an incremental update over it.

pikepdf.pdfa does not check interactive forms (/AcroForm and widgets are "unsupported" and stop
its walk), so :func:`check_signature_fields` checks the PDF/A-3 rules for these fields itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name
from reportlab.lib import colors
from reportlab.platypus import Flowable, Spacer

from records.slots import SignatureSlot
from render.errors import LayoutError

# Annotation flags (ISO 32000-1, 12.5.3)
F_INVISIBLE, F_HIDDEN, F_PRINT, F_NOVIEW, F_TOGGLE_NOVIEW = 1, 2, 4, 32, 256
SIG_FLAGS_SIGNATURES_EXIST = 1


@dataclass(frozen=True)
class Placement:
    """Where a signature field sits: page index (0-based) and rectangle in PDF points."""

    field_name: str
    page_index: int
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1


class SignatureBox(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """An empty area of the form that becomes a signature field; records where it was drawn."""

    def __init__(
        self,
        recorder: FieldRecorder,
        field_name: str,
        width: float,
        height: float,
        h_align: str = "LEFT",
        outline: bool = False,
    ) -> None:
        super().__init__()
        self.recorder, self.field_name = recorder, field_name
        self.width, self.height = width, height
        self.hAlign = h_align
        self.outline = outline

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        # absolutePosition maps through every translation of enclosing tables and frames
        x0, y0 = self.canv.absolutePosition(0, 0)
        x1, y1 = self.canv.absolutePosition(self.width, self.height)
        page = self.canv.getPageNumber() - 1
        self.recorder.record(Placement(self.field_name, page, (x0, y0, x1, y1)))
        if self.outline:  # a printed frame marks the box (the seal's, beside the principal's)
            self.canv.saveState()
            self.canv.setStrokeColor(colors.grey)
            self.canv.setLineWidth(0.4)
            self.canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)
            self.canv.restoreState()


class FieldRecorder:
    """The signing plan's slots as the layout sees them, and the placements drawn so far."""

    def __init__(self, slots: Sequence[SignatureSlot]) -> None:
        self.slots = {s.field_name: s for s in slots}
        if len(self.slots) != len(slots):
            raise LayoutError(
                "Kế hoạch ký có hai ô ký trùng tên trường; mỗi ô ký phải có tên riêng."
            )
        self.placements: dict[str, Placement] = {}

    def has(self, field_name: str) -> bool:
        return field_name in self.slots

    def slot(self, field_name: str) -> SignatureSlot | None:
        return self.slots.get(field_name)

    def box(
        self,
        field_name: str,
        width: float,
        height: float,
        h_align: str = "LEFT",
        outline: bool = False,
    ) -> Flowable:
        """A signature area; blank space when the plan has no slot of that name (hand signing)."""
        if field_name not in self.slots:
            spacer = Spacer(width, height)
            spacer.hAlign = h_align
            return spacer
        return SignatureBox(self, field_name, width, height, h_align, outline)

    def record(self, placement: Placement) -> None:
        if placement.field_name in self.placements:
            raise LayoutError(
                f"Ô ký «{placement.field_name}» được vẽ hai lần trên biểu mẫu; đây là lỗi bố cục."
            )
        self.placements[placement.field_name] = placement

    def ordered_placements(self, document_id: str) -> list[tuple[SignatureSlot, Placement]]:
        """Every slot with its placement, in the plan's order; a slot with no place is an error."""
        missing = [name for name in self.slots if name not in self.placements]
        if missing:
            raise LayoutError(
                f"Hồ sơ {document_id}: biểu mẫu không có chỗ cho ô ký {', '.join(missing)} của kế "
                "hoạch ký. Kiểm tra tên trường ký trong kế hoạch ký (ví dụ gvbm_<mã môn>, gvcn, "
                "hieu_truong, con_dau).",
                document_id=document_id,
            )
        return [(slot, self.placements[name]) for name, slot in self.slots.items()]


def add_signature_fields(
    pdf: pikepdf.Pdf, placed: Sequence[tuple[SignatureSlot, Placement]]
) -> None:
    """Create one empty, printable signature field (merged field + widget) per placed slot."""
    fields = Array()
    for slot, placement in placed:
        page = pdf.pages[placement.page_index]
        x0, y0, x1, y1 = (round(v, 2) for v in placement.rect)
        appearance = pdf.make_stream(
            b"",
            Type=Name.XObject,
            Subtype=Name.Form,
            BBox=Array([0, 0, round(x1 - x0, 2), round(y1 - y0, 2)]),
        )
        field = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Sig,
            T=pikepdf.String(slot.field_name),
            TU=pikepdf.String(slot.label),  # the name a viewer shows for the field
            F=F_PRINT,
            Rect=Array([x0, y0, x1, y1]),
            P=page.obj,
            AP=Dictionary(N=appearance),
        )
        if slot.locks:
            field.Lock = Dictionary(
                Type=Name.SigFieldLock,
                Action=Name.Include,
                Fields=Array([pikepdf.String(n) for n in slot.locks]),
            )
        ref = pdf.make_indirect(field)
        if "/Annots" not in page.obj:
            page.obj.Annots = Array()
        page.obj.Annots.append(ref)
        fields.append(ref)
    if len(fields):
        pdf.Root.AcroForm = pdf.make_indirect(
            Dictionary(Fields=fields, SigFlags=SIG_FLAGS_SIGNATURES_EXIST)
        )


FieldProblem = tuple[str, str]  # (rule id, what is wrong)
PLAN_RULE = "hsdt:signature-fields"  # our own rule: the fields are exactly the plan's slots


def check_signature_fields(pdf: pikepdf.Pdf, expected: Sequence[str]) -> list[FieldProblem]:
    """Problems with the signature fields, against PDF/A-3 (ISO 19005-3) and the signing plan.

    Covers what pikepdf.pdfa leaves unchecked for forms: 6.3.2-2 (annotation flags), 6.3.3
    (appearance: only /N, a form XObject, here empty), 6.4.1 (no /A or /AA, no NeedAppearances),
    6.4.2 (no XFA), 6.4.3 (no /Perms); and our own rule: the fields are the plan's slots in order,
    unsigned, each on its page's /Annots and inside the page.
    """
    problems: list[FieldProblem] = []
    root = pdf.Root
    if "/Perms" in root:
        problems.append(("ISO_19005_3:6.4.3-1", "the catalog has /Perms"))
    acro = root.get("/AcroForm")
    if acro is None:
        if expected:
            problems.append((PLAN_RULE, f"no /AcroForm, expected fields {list(expected)}"))
        return problems
    if "/XFA" in acro:
        problems.append(("ISO_19005_3:6.4.2-1", "/AcroForm has /XFA"))
    if acro.get("/NeedAppearances", False) is not False:
        problems.append(("ISO_19005_3:6.4.1-3", "/AcroForm has /NeedAppearances true"))
    names: list[str] = []
    page_of = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    for f in acro.get("/Fields", Array()):
        name = str(f.get("/T", ""))
        names.append(name)
        where = f"field {name!r}"
        if f.get("/FT") != Name.Sig or f.get("/Subtype") != Name.Widget:
            problems.append((PLAN_RULE, f"{where} is not a signature widget"))
        if "/V" in f:
            problems.append((PLAN_RULE, f"{where} is already signed (/V)"))
        flags = int(f.get("/F", 0))
        if not flags & F_PRINT or flags & (F_INVISIBLE | F_HIDDEN | F_NOVIEW | F_TOGGLE_NOVIEW):
            problems.append(("ISO_19005_3:6.3.2-2", f"{where} has annotation flags {flags}"))
        for key in ("/A", "/AA"):
            if key in f:
                problems.append(("ISO_19005_3:6.4.1-1", f"{where} has {key}"))
        ap = f.get("/AP")
        if not isinstance(ap, Dictionary) or set(ap.keys()) != {"/N"}:
            problems.append(("ISO_19005_3:6.3.3-2", f"{where}: /AP must hold only /N"))
        elif not _empty_form(ap.N):
            problems.append(("ISO_19005_3:6.3.3-4", f"{where}: /AP /N is not an empty form"))
        page_index = page_of.get(f.P.objgen) if "/P" in f else None
        if page_index is None:
            problems.append((PLAN_RULE, f"{where}: /P is not a page of the document"))
            continue
        page = pdf.pages[page_index]
        if not any(a.objgen == f.objgen for a in page.obj.get("/Annots", Array())):
            problems.append((PLAN_RULE, f"{where} is not in its page's /Annots"))
        mx0, my0, mx1, my1 = (float(v) for v in page.mediabox)
        x0, y0, x1, y1 = (float(v) for v in f.Rect)
        if not (mx0 <= x0 < x1 <= mx1 and my0 <= y0 < y1 <= my1):
            problems.append(
                (PLAN_RULE, f"{where}: /Rect {[x0, y0, x1, y1]} is outside page {page_index + 1}")
            )
    if names != list(expected):
        problems.append(
            (PLAN_RULE, f"fields {names} differ from the plan's slots {list(expected)}")
        )
    return problems


def _empty_form(n: pikepdf.Object) -> bool:
    return (
        isinstance(n, pikepdf.Stream)
        and n.get("/Subtype") == Name.Form
        and "/Resources" not in n
        and not n.read_bytes().strip()
    )
