"""Dependency vulnerability audit of the pinned set (constraints.txt), run by `./run test`.

pip-audit asks PyPI's advisory service about every pinned version. A known vulnerability fails
the run (exit 1) unless it is listed, with a reason, in scripts/audit_ignore.txt. A package the
service cannot answer for (no network, a registry mirror that hides the per-version API) is
listed in a visible notice: the audit says what it could not check instead of passing silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = ROOT / "scripts" / "audit_ignore.txt"


def ignored() -> list[str]:
    if not IGNORE.is_file():
        return []
    ids = []
    for line in IGNORE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


def main() -> int:
    cmd = [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        str(ROOT / "constraints.txt"),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "-f",
        "json",
        "--timeout",
        "10",
    ]
    for vuln in ignored():
        cmd += ["--ignore-vuln", vuln]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        print(
            "audit-deps: NOTICE: the advisory service did not answer within 10 minutes; "
            "dependencies NOT audited.",
            file=sys.stderr,
        )
        return 0
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(
            "audit-deps: NOTICE: pip-audit gave no report; dependencies NOT audited.\n"
            + run.stderr.strip()[-2000:],
            file=sys.stderr,
        )
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            print(
                f"audit-deps: VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in: {fixes})",
                file=sys.stderr,
            )
    print(
        f"audit-deps: {len(deps)} pinned packages, {audited} audited, "
        f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited.",
        file=sys.stderr,
    )
    if skipped:
        names = ", ".join(sorted(d["name"] for d in skipped))
        print(
            "audit-deps: NOTICE: the advisory service could not answer for "
            f"{len(skipped)} packages from this machine (offline or a mirror without the "
            f"per-version API): {names}",
            file=sys.stderr,
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
