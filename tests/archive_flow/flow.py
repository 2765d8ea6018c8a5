"""Archive-flow test helpers: archive settings written into a home, what the database holds,
a power cut in the middle of a package."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from support.s3 import REGION

from archive import ObjectStore
from archive.s3_store import S3ObjectStore
from service.context import Context
from service.db.archive_models import ArchiveIngestRow
from service.db.models import DocumentRow, EventRow


class MovableClock:
    """Starts at the real time: S3 servers judge retain-until dates by their own clock."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.at


def s3_table(name: str, endpoint: str, bucket: str) -> str:
    """An ``[archive.<name>]`` table for a moto bucket, written as an administrator would."""
    return (
        f"\n[archive.{name}]\n"
        'kind = "s3"\n'
        f'bucket = "{bucket}"\n'
        f'endpoint_url = "{endpoint}"\n'
        f'region = "{REGION}"\n'
        "path_style = true\n"
        "max_attempts = 2\n"
    )


_ARCHIVE_TABLE = re.compile(r"\[archive[.\]]")
_OTHER_TABLE = re.compile(r"\[(?!archive[.\]])")


def configure(ctx: Context, *tables: str, archive: str = "retention_years = 100\n") -> None:
    """Replace the archive settings of the home's hsdt.toml (read afresh by every command) by
    ``[archive]`` with ``archive`` in it, followed by ``tables``. Other settings are kept."""
    path = ctx.home.config_path
    kept, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        header = line.lstrip()
        if _ARCHIVE_TABLE.match(header):
            inside = True
        elif _OTHER_TABLE.match(header):
            inside = False
        if not inside:
            kept.append(line)
    path.write_text("".join(kept) + "\n[archive]\n" + archive + "".join(tables), encoding="utf-8")


def dead_endpoint() -> str:
    """An HTTP endpoint on a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def row(ctx: Context, document_id: str, version: int = 1) -> DocumentRow:
    with ctx.sessions() as session:
        found = session.scalar(
            select(DocumentRow).where(
                DocumentRow.document_id == document_id, DocumentRow.version == version
            )
        )
        assert found is not None
        return found


def events(ctx: Context, action: str) -> list[tuple[str, dict[str, Any]]]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.action == action).order_by(EventRow.id)
        ).all()
        return [(r.subject, json.loads(r.detail)) for r in rows]


def ingests(ctx: Context) -> list[ArchiveIngestRow]:
    with ctx.sessions() as session:
        return list(session.scalars(select(ArchiveIngestRow).order_by(ArchiveIngestRow.id)))


def keys(store: ObjectStore) -> list[str]:
    return [o.key for o in store.list_objects()]


class PowerCut(Exception):
    """The process dies here: nothing after this point runs."""


@dataclass
class Cut:
    after: int  # uploads that complete before the power goes
    uploads: int = 0
    armed: bool = True

    def strikes(self) -> bool:
        self.uploads += 1
        return self.armed and self.uploads > self.after


@contextmanager
def power_cut(store: ObjectStore, monkeypatch: pytest.MonkeyPatch, *, after: int) -> Iterator[Cut]:
    """Kill the run after ``after`` objects reached the store: for S3 on the wire (the upload
    never leaves), for the local store where the object would become visible (its hard link)."""
    cut = Cut(after)
    if isinstance(store, S3ObjectStore):

        def on_send(request: Any, **_: Any) -> None:
            if request.method == "PUT" and cut.strikes():
                raise PowerCut(request.url)

        store.client.meta.events.register("before-send.s3", on_send)
        try:
            yield cut
        finally:
            store.client.meta.events.unregister("before-send.s3", on_send)
        return
    real_link = os.link

    def link(src: Any, dst: Any, **kwargs: Any) -> None:
        if cut.strikes():
            raise PowerCut(str(dst))
        real_link(src, dst, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "link", link)
        yield cut
