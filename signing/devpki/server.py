"""HTTP endpoints of the development PKI on 127.0.0.1, served from a background thread — or from
a process of their own (``serve_dev_pki_process``) for a batch that signs thousands of documents.

    GET  /                       plain-text index with the "not for production" warning
    GET  /certs/<authority>.cer  CA certificate (AIA caIssuers)
    GET  /crl/<authority>.crl    CRL, signed on request
    POST /ocsp/<authority>       OCSP (RFC 6960); GET /ocsp/<authority>/<base64 request> too
    POST /tsa                    RFC 3161 timestamps

Standard-library `http.server`: starts in milliseconds and needs no extra dependency.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import errno
import gc
import logging
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from urllib.parse import unquote

from cryptography.hazmat.primitives.serialization import Encoding

from signing.devpki.issuance import Authority
from signing.devpki.marker import NOT_FOR_PRODUCTION
from signing.devpki.pki import ISSUING, DevPki
from signing.devpki.responders import (
    OcspSigner,
    TimeStampAuthority,
    certificate_revocation_list,
    ocsp_response,
)
from signing.errors import DevPkiError

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_MAX_REQUEST = 64 * 1024
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Services:
    """Everything the endpoints need, keys loaded once; revocations re-read per request."""

    def __init__(self, pki: DevPki, clock: Clock) -> None:
        store = pki.store
        manifest = store.manifest()
        self.pki = pki
        self.clock = clock
        self.authorities = {
            name: Authority(name, store.read_certificate(r.cert), store.read_key(r.key))
            for name, r in manifest.authorities.items()
        }
        ocsp_record = manifest.services["ocsp"]
        delegate = OcspSigner(
            store.read_certificate(ocsp_record.cert), store.read_key(ocsp_record.key), True
        )
        self.ocsp_signers = {
            name: delegate
            if name == ocsp_record.issuer
            else OcspSigner(authority.certificate, authority.key, False)
            for name, authority in self.authorities.items()
        }
        tsa_record = manifest.services["tsa"]
        self.tsa = TimeStampAuthority(
            store.read_certificate(tsa_record.cert),
            store.read_key(tsa_record.key),
            chain=[self.authorities[ISSUING].certificate],
        )

    def index(self) -> bytes:
        lines = [
            f"hsdt DEVELOPMENT PKI — {NOT_FOR_PRODUCTION}",
            "",
            f"TSA (RFC 3161): {self.pki.tsa_url}",
            *(f"OCSP {name}: {self.pki.urls.ocsp(name)}" for name in self.authorities),
            *(f"CRL {name}: {self.pki.urls.crl(name)}" for name in self.authorities),
            *(f"CA {name}: {self.pki.urls.ca_certificate(name)}" for name in self.authorities),
        ]
        return ("\n".join(lines) + "\n").encode("utf-8")

    def crl(self, name: str) -> bytes:
        revocations = self.pki.store.manifest().revocations_by(name)
        return certificate_revocation_list(self.authorities[name], revocations, self.clock())

    def ocsp(self, name: str, request: bytes) -> bytes:
        manifest = self.pki.store.manifest()
        return ocsp_response(
            request,
            self.authorities[name],
            self.ocsp_signers[name],
            issued=manifest.issued_serials(name),
            revocations=manifest.revocations_by(name),
            now=self.clock(),
        )


def _handler(services: _Services) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hsdt-dev-pki"

        def do_GET(self) -> None:
            self._safely(self._get)

        def do_POST(self) -> None:
            self._safely(self._post)

        def _safely(self, handle: Callable[[], None]) -> None:
            try:
                handle()
            except Exception:  # a broken request must not take the test server down
                logger.exception("dev PKI: error answering %s %s", self.command, self.path)
                self._send(500, "text/plain", b"internal error\n")

        def _get(self) -> None:
            parts = [unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
            if parts == [""]:
                self._send(200, "text/plain; charset=utf-8", services.index())
            elif len(parts) == 2 and parts[0] == "certs" and parts[1].endswith(".cer"):
                authority = services.authorities.get(parts[1].removesuffix(".cer"))
                if authority is None:
                    return self._not_found()
                der = authority.certificate.public_bytes(Encoding.DER)
                self._send(200, "application/pkix-cert", der)
            elif len(parts) == 2 and parts[0] == "crl" and parts[1].endswith(".crl"):
                name = parts[1].removesuffix(".crl")
                if name not in services.authorities:
                    return self._not_found()
                self._send(200, "application/pkix-crl", services.crl(name))
            elif len(parts) >= 3 and parts[0] == "ocsp" and parts[1] in services.authorities:
                try:  # RFC 6960 appendix A.1: base64 of the DER request, URL-encoded
                    request = base64.b64decode("/".join(parts[2:]), validate=True)
                except (binascii.Error, ValueError):
                    return self._send(400, "text/plain", b"bad base64 OCSP request\n")
                self._send(200, "application/ocsp-response", services.ocsp(parts[1], request))
            else:
                self._not_found()

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= _MAX_REQUEST:
                return self._send(400, "text/plain", b"request body missing or too large\n")
            body = self.rfile.read(length)
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts == ["tsa"]:
                response = services.tsa.respond(body, services.clock())
                self._send(200, "application/timestamp-reply", response)
            elif len(parts) == 2 and parts[0] == "ocsp" and parts[1] in services.authorities:
                self._send(200, "application/ocsp-response", services.ocsp(parts[1], body))
            else:
                self._not_found()

        def _not_found(self) -> None:
            self._send(404, "text/plain", b"not found\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("dev PKI %s - " + format, self.address_string(), *args)

    return Handler


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a batch with 8 signatures in flight connects 8
    # times at once, the kernel drops what overflows, and each dropped connection waits for a
    # SYN retransmission (1 s) — which made 8 in flight 4x slower than one after another.
    request_queue_size = 128
    daemon_threads = True


class PkiServer:
    """The running services of one development PKI; `stop`/`start` are idempotent."""

    def __init__(self, pki: DevPki, *, clock: Clock = _utc_now) -> None:
        self.pki = pki
        self.base_url = pki.base_url
        self.tsa_url = pki.tsa_url
        self._services = _Services(pki, clock)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> None:
        if self._httpd is not None:
            return
        try:
            httpd = _Server(("127.0.0.1", self.pki.port), _handler(self._services))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise DevPkiError(
                    f"Cổng 127.0.0.1:{self.pki.port} của PKI phát triển đang bị chương trình khác "
                    "dùng. Hãy dừng chương trình đó (có thể là một bản demo khác đang chạy) "
                    "hoặc tạo PKI phát triển mới ở thư mục khác."
                ) from exc
            raise
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # keeps shutdown() quick
            name=f"dev-pki-{self.pki.port}",
            daemon=True,
        )
        thread.start()
        self._httpd, self._thread = httpd, thread

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        self._httpd = self._thread = None

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Take the services offline for the duration of the block (tests of outages)."""
        was_running = self.running
        self.stop()
        try:
            yield
        finally:
            if was_running:
                self.start()


@contextlib.contextmanager
def serve_dev_pki(pki: DevPki, *, clock: Clock = _utc_now) -> Iterator[PkiServer]:
    """Serve TSA, OCSP, CRLs and CA certificates on 127.0.0.1:<pki.port> until the block ends."""
    server = PkiServer(pki, clock=clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def serve_dev_pki_process(pki: DevPki, *, clock: Clock = _utc_now) -> Iterator[None]:
    """``serve_dev_pki`` in a forked process of its own, until the block ends.

    A school's batch asks the TSA for ~10,000 tokens. Served from a thread, they share the GIL and
    the heap of the process that hands out the batch's work: each request waits for that process,
    and the heap churn stays in it for the rest of the batch. A process of its own answers at
    once, and its memory goes when the block ends. The process ends with the pipe: when the block
    ends, or when this process dies."""
    fork = multiprocessing.get_context("fork")
    mine, theirs = fork.Pipe()
    process = fork.Process(target=_serve_in_process, args=(pki, clock, theirs, mine), daemon=True)
    # Frozen while the server lives: neither process's collections then write to the objects
    # they share (a full collection here would otherwise copy every page of them, for the child).
    held = gc.get_freeze_count() > 0  # by an enclosing holder, who will also unfreeze
    gc.collect()
    gc.freeze()
    try:
        process.start()
        theirs.close()
        try:
            started = mine.recv() if mine.poll(30) else "PKI phát triển không khởi động kịp."
        except EOFError:
            started = f"PKI phát triển dừng ngay khi khởi động (mã thoát {process.exitcode})."
        if started is not None:
            raise DevPkiError(str(started))
        yield
    finally:
        mine.close()  # the server's signal to stop
        process.join(timeout=10)
        if process.exitcode is None:
            process.kill()
            process.join()
        if not held:
            gc.unfreeze()


def _serve_in_process(pki: DevPki, clock: Clock, conn: Connection, parents: Connection) -> None:
    parents.close()  # else this process itself would keep the pipe open, and never see it close
    # A thread per request, and glibc gives each new thread's allocations an arena of their own
    # (up to 8 per core), whose pages it keeps: one arena holds the whole server's few MB.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1)
    server = PkiServer(pki, clock=clock)
    try:
        server.start()
    except DevPkiError as error:
        conn.send(str(error))
        return
    conn.send(None)
    with contextlib.suppress(EOFError, OSError):
        conn.recv()  # nothing is ever sent: returns (EOF) when the other end closes
    server.stop()
