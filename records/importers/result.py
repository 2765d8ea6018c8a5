"""What an importer returns: the dataset (when it could be built), the findings, the source map."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from records.findings import Finding, has_errors
from records.importers.source_map import SourceMap
from records.model import Dataset, SubjectAssessment
from records.results import SubjectResult


class FileKind(StrEnum):
    JSON = "json"  # the canonical format, a whole school year
    XLSX = "xlsx"  # one class's workbook, from «hsdt template xlsx»
    CSV = "csv"  # one subject of one class, from «hsdt template csv»


@dataclass(frozen=True)
class SheetRow:
    code: str  # mã học sinh
    full_name: str
    assessment: SubjectAssessment
    computed: SubjectResult | None = None  # the rule set's averages/levels for this row


@dataclass(frozen=True)
class SubjectSheet:
    """A CSV score sheet: one subject of one class, checked on its own."""

    school_year: str
    school_code: str
    class_id: str
    grade: int
    subject: str
    periods_per_year: int
    rows: tuple[SheetRow, ...]
    rule_set: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """The outcome of reading one file. ``ok`` is False when any finding is an error: such a
    result must not be stored (it may still carry a dataset, so that ``check`` can show results)."""

    file: str
    kind: FileKind | None
    dataset: Dataset | None
    findings: list[Finding]
    source_map: SourceMap
    sheet: SubjectSheet | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings) and (
            self.dataset is not None or self.sheet is not None
        )
