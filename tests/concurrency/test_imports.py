"""Two importers of the same school at the same time: the stored year ends with both changes.

Each of two processes imports, one after the other, score sheets of its own class (its own
"Nhận xét" text each time), both released at the same moment. Every import changes the year, so
each must store a new year built on the newest one, whoever committed it. Without the import lock
(``service.importing._serialise_imports``) both read the same stored year, merge their own sheet
into it, and the later commit drops the other's change: without it this test fails on both
SQLite and PostgreSQL (a year missing the other class's newest sheet).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from support.db import _postgres_database

from concurrency.conftest import FULL, Processes, Tally, comment_of, school, with_comment
from records.canonical import dataset_from_json, dataset_to_json
from records.template import csv_template_bytes
from service.context import Context
from service.db.models import DatasetRow
from service.importing import import_file

ROUNDS = 12 if FULL else 3


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'hsdt.db'}"])
    else:
        urls = _postgres_database()
    for url in urls:
        monkeypatch.setenv("HSDT_DATABASE_URL", url)
        yield url


def test_two_processes_importing_other_classes_lose_neither(
    any_database: str, tmp_path: Path, tally: Tally
) -> None:
    dataset = school(3)
    root = tmp_path / "home"
    ctx = Context.open(root)
    base = root / "samples" / "school.json"
    base.parent.mkdir(parents=True)
    base.write_bytes(dataset_to_json(dataset))

    import_file(ctx, base)
    mine = {name: dataset.classes[i] for i, name in ((1, "a"), (2, "b"))}
    processes = Processes(root, tmp_path / "workers")
    for name, cls in mine.items():
        sheet = csv_template_bytes(
            grade=cls.grade, subject="TOAN", dataset=dataset, class_id=cls.id
        )
        files = []
        for n in range(ROUNDS):
            path = tmp_path / "sheets" / f"{name}-{n}.csv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(with_comment(sheet, f"Lần nhập {n} của {name}"))
            files.append(str(path))
        processes.start(name, "import", *files)
    processes.wait_ready()
    processes.release()
    ops = processes.results()
    tally.workers["process import"] += len(mine)
    tally.operations["import"] += len(ops)

    assert [op.status for op in ops] == ["imported"] * 2 * ROUNDS
    assert all(op.detail["created"] for op in ops)  # each changed the year
    with ctx.sessions() as session:
        rows = list(session.scalars(select(DatasetRow).order_by(DatasetRow.id)))
    ctx.close()
    assert len(rows) == 1 + 2 * ROUNDS
    # The history: each stored year holds the newest change of each importer committed so far.
    latest_by_class: dict[str, str | None] = {cls.id: None for cls in mine.values()}
    by_id = {op.detail["dataset"]: op for op in ops}
    for row in rows[1:]:
        op = by_id[row.id]
        name = op.subject.split("-")[0]
        latest_by_class[mine[name].id] = f"Lần nhập {op.subject.split('-')[1][:-4]} của {name}"
        stored = dataset_from_json(row.canonical)
        for class_id, comment in latest_by_class.items():
            got = comment_of(stored, class_id, "TOAN")
            if got != (comment or ""):
                tally.lost.append(
                    f"dataset {row.id}: class {class_id} has {got!r}, not {comment!r}"
                )
            assert got == (comment or ""), (row.id, class_id, got, comment)
    final = dataset_from_json(rows[-1].canonical)
    for name, cls in mine.items():
        assert comment_of(final, cls.id, "TOAN") == f"Lần nhập {ROUNDS - 1} của {name}"
