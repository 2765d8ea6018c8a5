"""A fault-injecting HTTP proxy on 127.0.0.1, between the service and an S3 server.

    proxy = FaultProxy("http://127.0.0.1:5000", FaultPlan([Rule(Fault.status(503), times=2)]))
    proxy.start()            # an asyncio server in its own thread; proxy.url is the endpoint
    ...                      # boto3 endpoint_url=proxy.url → proxy → the real server
    proxy.plan = FaultPlan(...)  # a new script, at any time
    proxy.stop()

Each request is decided on its own, from its method and path, by the plan's rules (first match
wins): let it through, drop the connection without an answer, answer 500/503 with an S3 XML error
body (the server never sees the request), delay it, forward it but cut the answer in the middle
of its body (or, when it has no body, send none of it: the server *did* the work, the client
never hears so), or reset the connection (TCP RST). Rules fire for a number of matching requests
(``times``) after letting some through (``skip``), or with a probability drawn from a seeded
generator: the same seed and the same requests give the same faults.

One request per connection: the proxy asks the server for ``Connection: close`` and closes the
client's side after each answer, so every request is decided (and logged) separately.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit


class Mode(StrEnum):
    PASS = "pass"
    DROP = "drop"  # close the connection, no answer (the server never sees the request)
    STATUS = "status"  # answer 500/503 with an S3 error body (the server never sees it)
    DELAY = "delay"  # wait, then forward (longer than the client's read timeout: a timeout)
    CUT = "cut"  # forward, then cut the answer mid-body (or mid-headers): the work was done
    RESET = "reset"  # TCP RST instead of an answer


@dataclass(frozen=True)
class Fault:
    mode: Mode
    status: int = 0
    seconds: float = 0.0

    @staticmethod
    def status_code(code: int) -> Fault:
        return Fault(Mode.STATUS, status=code)

    @staticmethod
    def delay(seconds: float) -> Fault:
        return Fault(Mode.DELAY, seconds=seconds)

    @property
    def label(self) -> str:
        if self.mode is Mode.STATUS:
            return str(self.status)
        if self.mode is Mode.DELAY:
            return f"delay {self.seconds:g}s"
        return self.mode.value


PASS = Fault(Mode.PASS)
DROP = Fault(Mode.DROP)
CUT = Fault(Mode.CUT)
RESET = Fault(Mode.RESET)
HTTP_500 = Fault.status_code(500)
HTTP_503 = Fault.status_code(503)


@dataclass
class Rule:
    """Inject ``fault`` into requests matching ``method`` and the regex ``path`` (searched in the
    request target: path with the bucket, and query): after ``skip`` matches, for ``times``
    matches (None: every one), each with ``probability``."""

    fault: Fault
    method: str | None = None
    path: str | None = None
    times: int | None = None
    skip: int = 0
    probability: float = 1.0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(frozen=True)
class Injected:
    method: str
    path: str
    fault: Fault


@dataclass
class FaultPlan:
    """Rules, first match wins. ``max_per_request``: no one request (method and target, query
    included) is faulted more often than that over the whole run, so a client retrying more
    often always gets through: the plan is *transient* by construction."""

    rules: list[Rule] = field(default_factory=list)
    seed: int = 0
    max_per_request: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._faulted: Counter[tuple[str, str]] = Counter()

    def decide(self, method: str, path: str) -> Fault:
        if (
            self.max_per_request is not None
            and self._faulted[(method, path)] >= self.max_per_request
        ):
            return PASS
        fault = self._decide(method, path)
        if fault.mode is not Mode.PASS:
            self._faulted[(method, path)] += 1
        return fault

    def _decide(self, method: str, path: str) -> Fault:
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            rule.seen += 1
            if rule.seen <= rule.skip:
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability < 1.0 and self._random.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule.fault
        return PASS

    @staticmethod
    def always(fault: Fault, *, method: str | None = None, path: str | None = None) -> FaultPlan:
        return FaultPlan([Rule(fault, method=method, path=path)])

    @staticmethod
    def random(
        seed: int,
        probability: float,
        faults: list[Fault],
        *,
        method: str | None = None,
        max_per_request: int | None = None,
    ) -> FaultPlan:
        """Each request faulty with ``probability``, the fault drawn (seeded) from ``faults``."""
        share = probability / len(faults)
        # rule i fires with share / (what the earlier rules left): each fault has ``share`` overall
        rules, left = [], 1.0
        for fault in faults:
            rules.append(Rule(fault, method=method, probability=share / left))
            left -= share
        return FaultPlan(rules, seed=seed, max_per_request=max_per_request)


def s3_error_body(status: int, path: str) -> bytes:
    code = "ServiceUnavailable" if status == 503 else "InternalError"
    message = "Please reduce your request rate." if status == 503 else "We encountered an error."
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{path}</Resource><RequestId>faultproxy</RequestId></Error>"
    ).encode()


_REASONS = {500: "Internal Server Error", 503: "Service Unavailable"}


class FaultProxy:
    def __init__(self, upstream: str, plan: FaultPlan | None = None) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname is not None and parts.port is not None
        self._upstream = (parts.hostname, parts.port)
        self._plan = plan or FaultPlan()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # strong references: asyncio keeps weak ones
        self.port = 0
        self.requests = 0
        self.injected: list[Injected] = []
        # called (in the proxy's thread) with method and target before each request goes on:
        # a test's hook to break something else at an exact point, e.g. the database
        self.on_request: Callable[[str, str], None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(i.fault.label for i in self.injected)

    def clear(self, plan: FaultPlan | None = None) -> None:
        with self._lock:
            self._plan = plan or FaultPlan()
            self.injected = []
            self.requests = 0
            self.on_request = None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> FaultProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="faultproxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ one request

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_w.close()
            return
        method, path = _request_line(head)
        hook = self.on_request
        if hook is not None:
            hook(method, path)
        with self._lock:
            self.requests += 1
            fault = self._plan.decide(method, path)
            if fault.mode is not Mode.PASS:
                self.injected.append(Injected(method, path, fault))
        try:
            await self._serve(fault, head, path, client_r, client_w)
        except (ConnectionError, asyncio.IncompleteReadError, OSError, asyncio.CancelledError):
            pass  # the client went away (timed out), or the proxy stops
        finally:
            with contextlib.suppress(Exception):
                client_w.close()

    async def _serve(
        self,
        fault: Fault,
        head: bytes,
        path: str,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
    ) -> None:
        if fault.mode is Mode.DROP:
            await _discard_body(head, client_r)
            return
        if fault.mode is Mode.RESET:
            sock = client_w.get_extra_info("socket")
            if sock is not None:  # linger 0: close() sends RST
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client_w.transport.abort()
            return
        if fault.mode is Mode.STATUS:
            await _discard_body(head, client_r)
            body = s3_error_body(fault.status, path)
            client_w.write(
                f"HTTP/1.1 {fault.status} {_REASONS.get(fault.status, 'Error')}\r\n"
                "Content-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await client_w.drain()
            return
        if fault.mode is Mode.DELAY:
            await asyncio.sleep(fault.seconds)
        up_r, up_w = await asyncio.open_connection(*self._upstream)
        try:
            up_w.write(_connection_close(head))
            await up_w.drain()
            upload = asyncio.ensure_future(_pipe(client_r, up_w))
            try:
                if fault.mode is Mode.CUT:
                    await _cut_answer(up_r, client_w)
                else:
                    await _pipe(up_r, client_w)
            finally:
                upload.cancel()
        finally:
            up_w.close()


def _request_line(head: bytes) -> tuple[str, str]:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    method = parts[0] if parts else ""
    return method, parts[1] if len(parts) > 1 else "/"


def _header(head: bytes, name: str) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _connection_close(head: bytes) -> bytes:
    lines = [
        line
        for line in head[:-4].split(b"\r\n")
        if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


async def _discard_body(head: bytes, reader: asyncio.StreamReader) -> None:
    """Read what the client already sends, so closing does not turn into a reset. A client that
    waits for ``100 Continue`` sends nothing more."""
    if (_header(head, "expect") or "").lower() == "100-continue":
        return
    length = int(_header(head, "content-length") or 0)
    if length:
        await reader.readexactly(length)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(65536):
        writer.write(chunk)
        await writer.drain()


async def _cut_answer(up_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    """Forward interim ``100 Continue`` answers, then half of the final answer's body (nothing
    of it when it has no body, e.g. a PUT's answer), then close."""
    while True:
        head = await up_r.readuntil(b"\r\n\r\n")
        if head.split(b" ", 2)[1:2] != [b"100"]:
            break
        client_w.write(head)
        await client_w.drain()
    length = int(_header(head, "content-length") or 0)
    if length >= 2:
        body = await up_r.readexactly(length)
        client_w.write(head + body[: length // 2])
        await client_w.drain()
    else:  # nothing to cut in the middle: the server did the work, the client hears nothing
        with contextlib.suppress(asyncio.IncompleteReadError):
            await up_r.readexactly(length)
