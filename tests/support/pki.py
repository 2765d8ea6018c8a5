"""Fixtures: one development PKI per test session, served on 127.0.0.1, plus a SoftHSM2 seal token.

    dev_pki             DevPki with TEST_PEOPLE and the test-* identities; services running
    dev_pki_server      its PkiServer (stop/start, `stopped()` for outage tests)
    dev_pki_offline     the same PKI with its services stopped for one test
    softhsm_seal_token  the school seal ("SEAL") on a SoftHSM2 token: SoftHsmToken(info, pin)
    tiny_pdf            a one-page PDF to sign

Helpers for signing tests: `pades_metadata`, `validation_context`, `sign_pdf_bytes`,
`validate_only_signature`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing.backends.softhsm import TokenInfo, provision_softhsm_token
from signing.devpki import DevPki, PersonSpec, PkiServer, create_dev_pki, serve_dev_pki

SCHOOL = "Trường PTDTBT TH và THCS Bản Xèo"
TEST_PEOPLE = (
    PersonSpec("GV001", "Nguyễn Văn An", "person", SCHOOL),
    PersonSpec("GV002", "Giàng Thị Mai", "person", SCHOOL),
    PersonSpec("GV003", "Lò Văn Pếnh", "person", SCHOOL),
    PersonSpec("HT", "Trần Thị Hoa", "person", SCHOOL),
    PersonSpec("SEAL", SCHOOL, "organisation", SCHOOL),
)
SEAL_TOKEN_LABEL = "SEAL-TOKEN"
SEAL_TOKEN_PIN = "246810"


@dataclass(frozen=True)
class SoftHsmToken:
    info: TokenInfo
    pin: str


@pytest.fixture(scope="session")
def dev_pki_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PkiServer]:
    pki = create_dev_pki(tmp_path_factory.mktemp("dev-pki"), TEST_PEOPLE)
    with serve_dev_pki(pki) as server:
        yield server


@pytest.fixture(scope="session")
def dev_pki(dev_pki_server: PkiServer) -> DevPki:
    return dev_pki_server.pki


@pytest.fixture
def dev_pki_offline(dev_pki_server: PkiServer) -> Iterator[DevPki]:
    with dev_pki_server.stopped():
        yield dev_pki_server.pki


@pytest.fixture(scope="session")
def softhsm_seal_token(
    dev_pki: DevPki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SoftHsmToken]:
    previous = os.environ.get("SOFTHSM2_CONF")
    info = provision_softhsm_token(
        dev_pki,
        "SEAL",
        token_label=SEAL_TOKEN_LABEL,
        pin=SEAL_TOKEN_PIN,
        so_pin="13579111",
        softhsm_dir=tmp_path_factory.mktemp("softhsm"),
    )
    yield SoftHsmToken(info, SEAL_TOKEN_PIN)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def tiny_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer, static_id=True)
    return buffer.getvalue()


def validation_context(pki: DevPki, *, allow_fetching: bool = True) -> ValidationContext:
    roots = [asn1_x509.Certificate.load(r.public_bytes(Encoding.DER)) for r in pki.trust_roots()]
    return ValidationContext(trust_roots=roots, allow_fetching=allow_fetching)


def pades_metadata(
    pki: DevPki, field_name: str = "Signature1", *, lta: bool = True
) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=True,
        use_pades_lta=lta,
        validation_context=validation_context(pki),
    )


def sign_pdf_bytes(pdf: bytes, signer: signers.Signer, pki: DevPki, *, lta: bool = True) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = signers.sign_pdf(
        writer,
        pades_metadata(pki, lta=lta),
        signer=signer,
        timestamper=HTTPTimeStamper(pki.tsa_url),
    )
    signed: bytes = output.getvalue()
    return signed


def validate_only_signature(pdf: bytes, pki: DevPki) -> PdfSignatureStatus:
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_regular_signatures
    return validate_pdf_signature(signature, validation_context(pki))
