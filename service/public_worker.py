"""Run the guards and the verification of one upload in a child process with hard limits.

A thread cannot be stopped, and a hostile file can keep a parser busy or make it allocate without
end; a process can be killed. Each upload gets its own child, forked from a forkserver that has
already imported pyHanko (so a child starts in milliseconds and never inherits the web server's
threads or locks). The child limits its own address space and CPU time; the parent waits at most
``timeout`` seconds, then kills it.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from service.errors import HsdtError
from service.public_guard import GuardLimits, HostilePdfError, PdfFacts, check_pdf
from signing.verify import VerificationReport

__all__ = ["VerificationTimeout", "WorkerResult", "run_verification"]

_PRELOAD = ["service.public_guard", "signing.verify", "pikepdf"]


class VerificationTimeout(HsdtError):
    """The verification did not finish in time (the file is too complex or the server is busy)."""


@dataclass(frozen=True)
class WorkerResult:
    facts: PdfFacts
    report: VerificationReport
    issuers: dict[str, str]  # signature field → the issuing CA's common name


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)  # only effective before the forkserver starts
    return ctx


def _issuers(data: bytes) -> dict[str, str]:
    """Who issued each signer's certificate (the report names the signer, not the CA)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    out: dict[str, str] = {}
    try:
        for emb in PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures:
            try:
                issuer = emb.signer_cert.issuer.native
                name = issuer.get("common_name") or emb.signer_cert.issuer.human_friendly
                out[emb.field_name] = str(name[0] if isinstance(name, list) else name)
            except Exception:  # one unreadable certificate leaves that issuer unknown
                continue
    except Exception:  # the report already says the file could not be read
        return out
    return out


def _child(
    conn: Connection,
    data: bytes,
    roots: tuple[bytes, ...],
    demo: bool,
    limits: GuardLimits,
    memory_bytes: int,
    cpu_seconds: int,
) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        from cryptography import x509

        from signing.verify import verify_pdf

        facts = check_pdf(data, limits)
        certificates = [x509.load_der_x509_certificate(r) for r in roots]
        report = verify_pdf(data, trust_roots=certificates, demo_mode=demo)
        conn.send(("ok", WorkerResult(facts, report, _issuers(data))))
    except HostilePdfError as exc:
        conn.send(("guard", (exc.code, exc.message, exc.hint)))
    except MemoryError:
        conn.send(("guard", ("too_complex", "Tệp cần quá nhiều bộ nhớ để kiểm tra.", None)))
    except BaseException as exc:
        conn.send(("error", type(exc).__name__))
    finally:
        conn.close()


def run_verification(
    data: bytes,
    *,
    roots: tuple[bytes, ...],
    demo: bool,
    limits: GuardLimits,
    timeout: float,
    memory_bytes: int = 2 * 1024 * 1024 * 1024,
) -> WorkerResult:
    """Guards + verification in a child; raises HostilePdfError, VerificationTimeout, HsdtError."""
    mp = _context()
    receiver, sender = mp.Pipe(duplex=False)
    proc = mp.Process(
        target=_child,
        args=(sender, data, roots, demo, limits, memory_bytes, int(timeout) + 2),
        daemon=True,
    )
    proc.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise VerificationTimeout(
                f"Không kiểm tra xong tệp trong {timeout:g} giây.",
                hint="Tệp quá phức tạp hoặc hệ thống đang bận; thử lại sau ít phút.",
            )
        kind, payload = receiver.recv()
    except EOFError:  # the child died (memory limit, CPU limit) without a word
        kind, payload = "guard", ("too_complex", "Tệp quá phức tạp để kiểm tra.", None)
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if kind == "ok":
        result: WorkerResult = payload
        return result
    if kind == "guard":
        code, message, hint = payload
        raise HostilePdfError(code, message, hint=hint)
    raise HsdtError(
        "Không kiểm tra được tệp do lỗi nội bộ.",
        hint="Thử lại; nếu lỗi lặp lại, báo cho quản trị hệ thống.",
    )
