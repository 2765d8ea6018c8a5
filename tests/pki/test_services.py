"""The development services over real HTTP on 127.0.0.1: OCSP, CRL, CA certificates, TSA."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import multiprocessing
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from support.pki import SCHOOL, validation_context

from signing.devpki import (
    DEV_TSA_POLICY_OID,
    NOT_FOR_PRODUCTION,
    REVOKED,
    DevPki,
    PersonSpec,
    PkiServer,
    create_dev_pki,
    serve_dev_pki,
    serve_dev_pki_process,
)
from signing.errors import DevPkiError


def _http(url: str, body: bytes | None = None, content_type: str = "") -> tuple[str, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["Content-Type"], response.read()


def _ocsp(pki: DevPki, cert: x509.Certificate, *, nonce: bytes | None = None) -> ocsp.OCSPResponse:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        cert, pki.authority_certificate("issuing"), hashes.SHA1()
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    der = builder.build().public_bytes(Encoding.DER)
    content_type, body = _http(f"{pki.base_url}/ocsp/issuing", der, "application/ocsp-request")
    assert content_type == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(body)


def _assert_signed_by_responder(pki: DevPki, response: ocsp.OCSPResponse) -> None:
    (responder,) = response.certificates
    assert responder.issuer == pki.authority_certificate("issuing").subject
    key = responder.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert response.signature_hash_algorithm is not None
    key.verify(
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        response.signature_hash_algorithm,
    )


def test_ocsp_says_good_for_a_valid_certificate_and_echoes_the_nonce(dev_pki: DevPki) -> None:
    nonce = os.urandom(16)
    response = _ocsp(dev_pki, dev_pki.identity("GV001").certificate, nonce=nonce)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    _assert_signed_by_responder(dev_pki, response)


def test_ocsp_says_revoked_with_time_and_reason(dev_pki: DevPki) -> None:
    response = _ocsp(dev_pki, dev_pki.identity(REVOKED).certificate)
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason is x509.ReasonFlags.key_compromise
    assert response.revocation_time_utc is not None
    assert response.revocation_time_utc <= datetime.now(UTC)


def test_ocsp_says_unknown_for_a_serial_it_never_issued(dev_pki: DevPki) -> None:
    issuing = dev_pki.authority_certificate("issuing")
    known = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(dev_pki.identity("GV001").certificate, issuing, hashes.SHA1())
        .build()
    )
    stranger = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        known.issuer_name_hash, known.issuer_key_hash, 12345, hashes.SHA1()
    )
    _, body = _http(f"{dev_pki.base_url}/ocsp/issuing", stranger.build().public_bytes(Encoding.DER))
    assert ocsp.load_der_ocsp_response(body).certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_answers_the_get_form_too(dev_pki: DevPki) -> None:
    request = ocsp.OCSPRequestBuilder().add_certificate(
        dev_pki.identity("GV002").certificate,
        dev_pki.authority_certificate("issuing"),
        hashes.SHA1(),
    )
    encoded = base64.b64encode(request.build().public_bytes(Encoding.DER)).decode("ascii")
    quoted = urllib.parse.quote(encoded, safe="")
    _, body = _http(f"{dev_pki.base_url}/ocsp/issuing/{quoted}")
    assert ocsp.load_der_ocsp_response(body).certificate_status is ocsp.OCSPCertStatus.GOOD


def test_ocsp_refuses_a_request_about_another_ca(dev_pki: DevPki) -> None:
    # Asking the root's responder about a certificate the issuing CA issued.
    request = ocsp.OCSPRequestBuilder().add_certificate(
        dev_pki.identity("GV001").certificate,
        dev_pki.authority_certificate("issuing"),
        hashes.SHA1(),
    )
    _, body = _http(f"{dev_pki.base_url}/ocsp/root", request.build().public_bytes(Encoding.DER))
    assert ocsp.load_der_ocsp_response(body).response_status is (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )


def test_crls_are_signed_and_list_revoked_certificates(dev_pki: DevPki) -> None:
    issuing = dev_pki.authority_certificate("issuing")
    content_type, body = _http(f"{dev_pki.base_url}/crl/issuing.crl")
    assert content_type == "application/pkix-crl"
    crl = x509.load_der_x509_crl(body)
    assert crl.issuer == issuing.subject
    assert crl.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    revoked_serial = dev_pki.identity(REVOKED).certificate.serial_number
    entry = crl.get_revoked_certificate_by_serial_number(revoked_serial)
    assert entry is not None
    assert (
        crl.get_revoked_certificate_by_serial_number(
            dev_pki.identity("GV001").certificate.serial_number
        )
        is None
    )

    root_crl = x509.load_der_x509_crl(_http(f"{dev_pki.base_url}/crl/root.crl")[1])
    assert root_crl.is_signature_valid(dev_pki.root.public_key())  # type: ignore[arg-type]
    assert len(root_crl) == 0


def test_ca_certificates_are_published(dev_pki: DevPki) -> None:
    content_type, body = _http(f"{dev_pki.base_url}/certs/issuing.cer")
    assert content_type == "application/pkix-cert"
    assert x509.load_der_x509_certificate(body) == dev_pki.authority_certificate("issuing")


def test_index_warns_and_unknown_paths_are_404(dev_pki: DevPki) -> None:
    _, body = _http(f"{dev_pki.base_url}/")
    assert NOT_FOR_PRODUCTION in body.decode("utf-8")
    with pytest.raises(urllib.error.HTTPError) as raised:
        _http(f"{dev_pki.base_url}/crl/nobody.crl")
    assert raised.value.code == 404
    raised.value.close()


def test_tsa_issues_tokens_pyhanko_validates_as_trusted(dev_pki: DevPki) -> None:
    digest = hashlib.sha256(b"hsdt").digest()

    async def stamp_and_validate() -> tuple[object, dict[str, object]]:
        token = await HTTPTimeStamper(dev_pki.tsa_url).async_timestamp(digest, "sha256")
        context = validation_context(dev_pki)
        try:
            status = await validate_tst_signed_data(
                token["content"], context, lambda _algorithm: digest
            )
        finally:
            await context.aclose()  # type: ignore[no-untyped-call]
        return token, status

    token, status = asyncio.run(stamp_and_validate())
    assert status["intact"] and status["valid"]
    assert status["trust_problem_indic"] is None
    assert status["validation_path"] is not None
    tst_info = token["content"]["encap_content_info"]["content"].parsed  # type: ignore[index]
    assert tst_info["policy"].dotted == DEV_TSA_POLICY_OID.dotted_string


def _tsa_status(response: bytes) -> tsp.PKIStatusInfo:
    # A rejection carries no token, which asn1crypto's TimeStampResp insists on: read the status.
    return tsp.PKIStatusInfo.load(core.Sequence.load(response).contents)


def test_tsa_rejects_garbage_and_unsupported_digests(dev_pki: DevPki) -> None:
    _, body = _http(dev_pki.tsa_url, b"not a request", "application/timestamp-query")
    assert _tsa_status(body)["status"].native == "rejection"

    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "md5"},
                "hashed_message": hashlib.md5(b"x").digest(),
            },
            "cert_req": True,
        }
    )
    _, body = _http(dev_pki.tsa_url, request.dump(), "application/timestamp-query")
    status = _tsa_status(body)
    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_alg"}


def test_people_added_and_revoked_while_running_are_seen_at_once(dev_pki: DevPki) -> None:
    # Another handle on the same directory, as the demo CLI in another process would have.
    extended = create_dev_pki(
        dev_pki.directory, [PersonSpec("GV090", "Sùng A Páo", "person", SCHOOL)]
    )
    newcomer = extended.identity("GV090").certificate
    assert _ocsp(dev_pki, newcomer).certificate_status is ocsp.OCSPCertStatus.GOOD

    extended.revoke("GV090")

    assert _ocsp(dev_pki, newcomer).certificate_status is ocsp.OCSPCertStatus.REVOKED
    crl = x509.load_der_x509_crl(_http(f"{dev_pki.base_url}/crl/issuing.crl")[1])
    assert crl.get_revoked_certificate_by_serial_number(newcomer.serial_number) is not None


def test_stopped_services_refuse_connections_and_come_back(dev_pki_server: PkiServer) -> None:
    url = f"{dev_pki_server.base_url}/certs/root.cer"
    with dev_pki_server.stopped():
        assert not dev_pki_server.running
        with pytest.raises(urllib.error.URLError):
            _http(url)
    assert dev_pki_server.running
    assert _http(url)[0] == "application/pkix-cert"


def test_served_from_a_process_of_its_own_tokens_and_revocations_come_from_there(
    tmp_path: Path,
) -> None:
    pki = create_dev_pki(tmp_path / "pki", [PersonSpec("GV-P", "Phạm Thị Thuỷ", "person", SCHOOL)])
    digest = hashlib.sha256(b"hsdt").digest()
    threads_before = threading.active_count()
    with serve_dev_pki_process(pki):
        assert threading.active_count() == threads_before  # no server thread here
        token = asyncio.run(HTTPTimeStamper(pki.tsa_url).async_timestamp(digest, "sha256"))
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        assert tst_info["message_imprint"]["hashed_message"].native == digest
        response = _ocsp(pki, pki.identity("GV-P").certificate)
        assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
        _assert_signed_by_responder(pki, response)
        children = multiprocessing.active_children()
        assert len(children) == 1
    assert children[0].exitcode == 0  # it stopped when the block ended (not killed after 10 s)
    with pytest.raises(urllib.error.URLError):
        _http(f"{pki.base_url}/certs/root.cer")


def test_a_server_process_that_cannot_take_its_port_says_so(tmp_path: Path) -> None:
    pki = create_dev_pki(tmp_path / "pki", [PersonSpec("GV-P", "Phạm Thị Thuỷ", "person", SCHOOL)])
    taken = pytest.raises(DevPkiError, match="đang bị chương trình khác dùng")
    with serve_dev_pki(pki), taken, serve_dev_pki_process(pki):
        pytest.fail("the block must not run without a server")
    assert not multiprocessing.active_children()


def test_a_burst_of_simultaneous_requests_is_answered_without_refusals(dev_pki: DevPki) -> None:
    """A batch signs with several signatures in flight: their TSA requests connect at once, and
    the listen backlog takes them all (the standard library's 5 dropped the rest, which then
    waited a second for a SYN retransmission)."""
    from signing.devpki.server import _Server

    assert _Server.request_queue_size >= 64

    async def burst() -> list[bytes]:
        stamper = HTTPTimeStamper(dev_pki.tsa_url)
        digests = [hashlib.sha256(str(i).encode()).digest() for i in range(24)]
        tokens = await asyncio.gather(*(stamper.async_timestamp(d, "sha256") for d in digests))
        return [
            t["content"]["encap_content_info"]["content"]
            .parsed["message_imprint"]["hashed_message"]
            .native
            for t in tokens
        ]

    imprints = asyncio.run(burst())
    assert imprints == [hashlib.sha256(str(i).encode()).digest() for i in range(24)]
