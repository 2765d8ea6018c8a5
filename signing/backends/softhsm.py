"""Put a development-PKI identity on a SoftHSM2 token, so tests and the demo sign like a USB token.

SoftHSM2 reads its configuration (where tokens live) and scans its tokens when the module is
initialised, once per process. We keep tokens in a directory we own, point ``SOFTHSM2_CONF`` there
for this process, create the token with ``softhsm2-util --init-token`` (another process) and then
re-initialise the module so the new token becomes visible. Re-initialising closes every open
session of the module in this process: provision tokens before opening signers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Attribute, Session
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import find_token

from signing.backends.pkcs11 import find_softhsm_module, load_module
from signing.errors import SignerUnavailableError

if TYPE_CHECKING:
    from signing.devpki import DevPki


@dataclass(frozen=True)
class TokenInfo:
    module_path: Path
    token_label: str
    key_label: str
    softhsm_conf: Path
    identity_id: str


def softhsm_environment(softhsm_dir: Path) -> Path:
    """Write ``<dir>/softhsm2.conf`` (tokens in ``<dir>/tokens``) and use it in this process."""
    softhsm_dir = softhsm_dir.resolve()
    tokens = softhsm_dir / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = softhsm_dir / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return conf


def provision_softhsm_token(
    pki: DevPki,
    identity_id: str,
    *,
    token_label: str,
    pin: str,
    so_pin: str,
    softhsm_dir: Path,
    key_label: str | None = None,
    module_path: Path | None = None,
) -> TokenInfo:
    """Create token `token_label` in `softhsm_dir` holding the identity's key, certificate, chain.

    The key is imported non-extractable and sensitive, as on a real token. The certificate and
    key share a label (default: the identity id) and an id (the subject key identifier).
    """
    module = module_path or find_softhsm_module()
    key_label = key_label or identity_id
    conf = softhsm_environment(softhsm_dir)
    identity = pki.identity(identity_id)
    key, cert, chain = pkcs12.load_key_and_certificates(
        identity.pkcs12_path.read_bytes(), identity.passphrase
    )
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise SignerUnavailableError(
            f"Tệp {identity.pkcs12_path} không chứa khoá RSA và chứng thư."
        )

    tool = _softhsm_util()
    # Asked in a fresh process, so this process's module (and its sessions) stay untouched.
    if token_label in _token_labels(tool, conf):
        raise SignerUnavailableError(
            f"Thư mục SoftHSM2 «{softhsm_dir}» đã có token «{token_label}». Hãy chọn nhãn khác "
            "hoặc xoá thư mục đó để tạo lại."
        )
    init = ["--init-token", "--free", "--label", token_label, "--pin", pin, "--so-pin", so_pin]
    _run(tool, conf, *init)
    lib = load_module(module)
    lib.reinitialize()  # re-read SOFTHSM2_CONF and the token list, to see the new token
    token = find_token(
        lib.get_slots(token_present=True), token_criteria=TokenCriteria(label=token_label)
    )
    if token is None:
        raise SignerUnavailableError(
            f"SoftHSM2 đã tạo token «{token_label}» nhưng thư viện «{module}» không thấy nó. "
            f"Kiểm tra SOFTHSM2_CONF={conf}."
        )

    with token.open(rw=True, user_pin=pin) as session:
        _import_identity(session, key, cert, chain, key_label)
    return TokenInfo(module, token_label, key_label, conf, identity_id)


def _import_identity(
    session: Session,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    key_label: str,
) -> None:
    key_id = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, what python-pkcs11 decodes
        serialization.NoEncryption(),
    )
    key_template = decode_rsa_private_key(key_der)
    key_template.update(
        {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.LABEL: key_label,
            Attribute.ID: key_id,
        }
    )
    session.create_object(key_template)
    session.create_object(_certificate_template(cert, key_label, key_id))
    for index, ca in enumerate(chain, start=1):
        session.create_object(_certificate_template(ca, f"{key_label}-ca{index}", None))


def _certificate_template(
    cert: x509.Certificate, label: str, key_id: bytes | None
) -> dict[Attribute, object]:
    # decode_x509_certificate fills SUBJECT, which SoftHSM2 requires for certificate objects.
    template: dict[Attribute, object] = decode_x509_certificate(
        cert.public_bytes(serialization.Encoding.DER)
    )
    template.update({Attribute.TOKEN: True, Attribute.LABEL: label})
    if key_id is not None:
        template[Attribute.ID] = key_id
    return template


def _softhsm_util() -> str:
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise SignerUnavailableError(
            "Không tìm thấy lệnh softhsm2-util. Hãy cài gói Debian «softhsm2»."
        )
    return tool


def _token_labels(tool: str, conf: Path) -> set[str]:
    output = _run(tool, conf, "--show-slots")
    return {
        line.split(":", 1)[1].strip()
        for line in output.splitlines()
        if line.strip().startswith("Label:")
    }


def _run(tool: str, conf: Path, *args: str) -> str:
    # PINs go on the command line: acceptable for throwaway development tokens only.
    result = subprocess.run(
        [tool, *args],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SignerUnavailableError(
            f"softhsm2-util {args[0]} thất bại: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


__all__ = ["TokenInfo", "provision_softhsm_token", "softhsm_environment"]
