"""Where each value of an imported dataset came from: dataset path → file, sheet, row, column."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from records.findings import JsonPath, Location


@dataclass
class SourceMap:
    """Locations of the values an importer read, looked up by the longest known path prefix.

    A finding about ``…students[3].secondary.subjects.TOAN.term1.regular`` (the whole list) falls
    back to the row of that student on the «Toán» sheet when no single cell stands for it.
    """

    file: str
    cells: dict[JsonPath, Location] = field(default_factory=dict)

    def add(
        self,
        path: JsonPath,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.cells[path] = Location(file=self.file, sheet=sheet, row=row, column=column)

    def locate(self, path: JsonPath) -> Location:
        for n in range(len(path), 0, -1):
            found = self.cells.get(path[:n])
            if found is not None:
                return replace(found, path=path)
        return Location(file=self.file, path=path)
