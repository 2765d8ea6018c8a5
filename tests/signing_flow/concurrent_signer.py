"""One signer in its own process, for the concurrency test.

    python concurrent_signer.py HOME PERSON P12 PASSPHRASE_FILE READY_FILE GO_FILE

Opens the home, opens the key, touches READY_FILE, waits for GO_FILE to appear (so every signer
starts at the same moment), signs its batch and prints the outcomes as JSON lines.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from service.context import Context
from service.signing import DocumentSelection, SignerIdentity, sign_batch
from signing.backends import Pkcs12Backend


def main(home: str, person: str, p12: str, passphrase_file: str, ready: str, go: str) -> None:
    ctx = Context.open(Path(home))
    backend = Pkcs12Backend(Path(p12), Path(passphrase_file).read_bytes())
    with backend.open_signer():  # parse the key before the start signal
        pass
    Path(ready).touch()
    deadline = time.monotonic() + 60
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.002)
    batch = sign_batch(ctx, SignerIdentity(person, backend), DocumentSelection())
    for d in batch.documents:
        line = {"document": d.document_id, "status": d.status.value, "fields": list(d.fields)}
        print(json.dumps({**line, "attempts": d.attempts, "message": d.message}))
    ctx.close()


if __name__ == "__main__":
    main(*sys.argv[1:7])
