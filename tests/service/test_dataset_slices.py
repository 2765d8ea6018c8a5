"""Each class of an import stored on its own, and big files imported in their own process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

import service.importing
from records.canonical import dataset_from_json, dataset_to_json
from records.check import CheckReport, check_file
from records.documents import all_documents
from records.model import Dataset
from records.sample import generate_school
from service.context import Context
from service.dataset_slices import class_slice
from service.db.models import DatasetClassRow, DatasetRow, EventRow
from service.importing import ImportOutcome, RejectedImport, import_file
from service.lifecycle import class_digest, confirm_class


def _school(tmp_path: Path) -> Path:
    ds = generate_school(seed=5, primary_classes=1, secondary_classes=1)
    path = tmp_path / "school.json"
    path.write_bytes(dataset_to_json(ds))
    return path


@pytest.fixture
def ctx(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    return Context.open(tmp_path / "home")


def _imported(ctx: Context, tmp_path: Path) -> tuple[Dataset, ImportOutcome]:
    """The sample school as parsed from its file, and its import."""
    source = _school(tmp_path)
    return dataset_from_json(source.read_bytes()), import_file(ctx, source)


def test_a_class_read_alone_is_the_class_read_from_the_whole_year(
    ctx: Context, tmp_path: Path
) -> None:
    whole, outcome = _imported(ctx, tmp_path)
    with ctx.sessions() as session:
        stored = session.scalars(
            select(DatasetClassRow.class_id).where(DatasetClassRow.dataset_id == outcome.dataset_id)
        ).all()
        assert sorted(stored) == sorted(c.id for c in whole.classes)
        for c in whole.classes:
            alone = class_slice(session, outcome.dataset_id, c.id)
            assert alone is not None and [x.id for x in alone.classes] == [c.id]
            assert class_digest(alone, c.id) == class_digest(whole, c.id)
            assert [d for d in all_documents(alone)] == [
                d for d in all_documents(whole) if d.class_id == c.id
            ]
        assert class_slice(session, outcome.dataset_id, "NO-SUCH-CLASS") is None
    ctx.close()


def test_a_year_imported_before_slices_existed_is_cut_from_the_whole(
    ctx: Context, tmp_path: Path
) -> None:
    whole, outcome = _imported(ctx, tmp_path)
    with ctx.sessions.begin() as session:  # as a dataset stored before migration 0012
        session.execute(delete(DatasetClassRow))
    target = whole.classes[0]
    with ctx.sessions() as session:
        alone = class_slice(session, outcome.dataset_id, target.id)
        assert alone is not None and class_digest(alone, target.id) == class_digest(
            whole, target.id
        )
        assert class_slice(session, outcome.dataset_id, "NO-SUCH-CLASS") is None
    confirmed = confirm_class(ctx, None, target.id, school=whole.school.code)
    assert confirmed.class_sha256 == class_digest(whole, target.id)
    ctx.close()


def test_a_big_file_is_imported_in_its_own_process_with_the_same_outcome(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _school(tmp_path)
    pids = tmp_path / "pids"

    def noting_pid(path: Path) -> CheckReport:  # runs where the import runs
        with pids.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return check_file(path)

    monkeypatch.setattr(service.importing, "check_file", noting_pid)
    monkeypatch.setattr(service.importing, "OWN_PROCESS_BYTES", source.stat().st_size)

    # a file with errors: the child's RejectedImport arrives here whole, nothing is stored
    data = json.loads(source.read_text(encoding="utf-8"))
    data["classes"][0]["students"][0]["full_name"] = ""
    data["school"]["name"] += " " * source.stat().st_size  # as big as the good one, or bigger
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RejectedImport) as caught:
        import_file(ctx, bad)
    assert caught.value.report.findings and caught.value.path == bad
    assert "không lưu gì" in caught.value.message

    first = import_file(ctx, source)
    again = import_file(ctx, source)
    assert first.created and not again.created and again.dataset_id == first.dataset_id
    assert first.sha256 == again.sha256
    ran_in = {int(p) for p in pids.read_text(encoding="utf-8").split()}
    assert len(ran_in) == 3 and os.getpid() not in ran_in  # three imports, three processes
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DatasetRow)) == 1
        assert session.scalar(select(func.count()).select_from(EventRow)) == 1
    ctx.close()
