"""Secrets come only from the environment or configuration files, never from the code: the
product's sources are searched for credentials written into them (issue 7, security).

The one literal allowed is the demo's throwaway SoftHSM2 PIN, named DEMO_… and used only in demo
mode (docs/security.md). Names of environment variables (``PASSWORD_ENV = "HSDT_PASSWORD"``) are
not secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("records", "render", "signing", "archive", "service", "api", "scripts", "bench")

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    # a credential-named variable or argument given a literal that is not an environment name
    "credential literal": re.compile(
        r"\b\w*(?i:password|passwd|passphrase|secret_key|client_secret|api_key|_pin)\w*\s*"
        r"(?::\s*str\s*)?=\s*[\"'](?![A-Z0-9_]+[\"'])[^\"'\s{}%]{6,}[\"']"
    ),
    "URL with a password": re.compile(r"[a-z+]+://[^/\s:@\"']+:[^/\s:@\"']{3,}@"),
}
ALLOWED = {"DEMO_TOKEN_PIN"}  # the documented demo-only literal


def findings(path: Path, *, allowed: set[str] = ALLOWED) -> list[str]:
    found = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if any(name in line for name in allowed):
            continue
        found += [f"{path.name}:{n}: {what}" for what, p in PATTERNS.items() if p.search(line)]
    return found


def test_the_search_finds_what_it_looks_for(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        'db_password = "hunter2hunter2"\n'
        "KEY = '-----BEGIN PRIVATE KEY-----'\n"
        'URL = "postgresql://hsdt:s3cret@db/hsdt"\n'
        'aws = "AKIAABCDEFGHIJKLMNOP"\n'
        'PASSWORD_ENV = "HSDT_PASSWORD"  # the name of a variable, fine\n'
        'label = "mật khẩu"  # a message, not a secret\n',
        encoding="utf-8",
    )
    assert [f.split(": ")[1] for f in findings(planted)] == [
        "credential literal",
        "private key",
        "URL with a password",
        "AWS access key",
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_credential_is_written_into_the_code(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    problems = [f"{package}/{f}" for path in files for f in findings(path)]
    assert not problems, "\n".join(problems)
