"""One layout module per record type; this registry maps a record type to its layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportlab.platypus import Flowable

from records.documents import RecordType
from render.common import PageGeometry
from render.fields import FieldRecorder
from render.layouts import bang_tong_hop, hoc_ba_tieu_hoc, hoc_ba_trung_hoc, so_theo_doi

Payload = dict[str, Any]


@dataclass(frozen=True)
class Layout:
    geometry: Callable[[Payload], PageGeometry]
    title: Callable[[Payload], str]  # the PDF's title: record title + student/class
    story: Callable[[Payload, FieldRecorder, PageGeometry], list[Flowable]]


LAYOUTS: dict[RecordType, Layout] = {
    RecordType.HOC_BA_TRUNG_HOC: Layout(
        hoc_ba_trung_hoc.geometry, hoc_ba_trung_hoc.title, hoc_ba_trung_hoc.story
    ),
    RecordType.HOC_BA_TIEU_HOC: Layout(
        hoc_ba_tieu_hoc.geometry, hoc_ba_tieu_hoc.title, hoc_ba_tieu_hoc.story
    ),
    RecordType.BANG_TONG_HOP: Layout(
        bang_tong_hop.geometry, bang_tong_hop.title, bang_tong_hop.story
    ),
    RecordType.SO_THEO_DOI: Layout(so_theo_doi.geometry, so_theo_doi.title, so_theo_doi.story),
}
