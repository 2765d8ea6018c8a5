"""The PAdES CMS from pre-encoded pieces: what pyHanko rebuilds per signature, built once.

pyHanko 0.38 assembles every signature's CMS from asn1crypto dictionaries: the
signing-certificate-v2 attribute is rebuilt and re-encoded from the certificate, the signer's
certificates, identifier and algorithms are wrapped and encoded again, and the signed attributes
are copied once more when tagged into the ``SignerInfo`` — about 65% of a B-B signature (see
docs/signing.md, "Performance"). All but the message digest, the signature value and the unsigned
attributes (the timestamp token) is the same for every signature of one signer, so
:class:`CmsTemplate` cuts those pieces, once, out of *pyHanko's own assembly*, and each signature
only splices bytes. :class:`FastCmsMixin` plugs the template into a ``Signer`` by overriding two
steps of pyHanko's pipeline; every other step (raw signature, timestamp, PDF embedding) stays
pyHanko's.

Pinned to pyHanko 0.38.x: on another version the mixin steps aside and pyHanko's own code runs
(correct, only slower); ``tests/fast_signing`` fails so the pin gets reviewed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = [
    "PINNED_PYHANKO_SERIES",
    "CmsTemplate",
    "FastCmsMixin",
    "fast_cms_applies",
    "signing_certificate_attribute",
]

PINNED_PYHANKO_SERIES = "0.38."


def fast_cms_applies() -> bool:
    """Whether the installed pyHanko is the series the templates were checked against."""
    return PYHANKO_VERSION.startswith(PINNED_PYHANKO_SERIES)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element (definite length)."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _contents(der: bytes) -> bytes:
    """The contents of the DER element at the start of ``der`` (without tag and length)."""
    return der[2 if der[1] < 0x80 else 2 + (der[1] & 0x7F) :]


_SEQUENCE, _SET, _OCTET_STRING = 0x30, 0x31, 0x04
_CONTEXT_0, _CONTEXT_1 = 0xA0, 0xA1  # [0] / [1], constructed (IMPLICIT and EXPLICIT alike)
_MESSAGE_DIGEST_OID = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
_SIGNED_DATA_OID = cms.ContentType("signed_data").dump()


def _attribute(attr_type: str, value: object) -> cms.CMSAttribute:
    return simple_cms_attribute(attr_type, value)  # type: ignore[no-untyped-call]  # upstream


_CONTENT_TYPE_DATA_ATTR = _attribute("content_type", "data").dump()


@functools.lru_cache(maxsize=256)
def _signing_certificate_attribute(cert_der: bytes) -> bytes:
    cert = asn1_x509.Certificate.load(cert_der)
    return bytes(_attribute("signing_certificate_v2", as_signing_certificate_v2(cert)).dump())


def signing_certificate_attribute(cert: asn1_x509.Certificate) -> bytes:
    """The DER signing-certificate-v2 attribute (RFC 5035, SHA-256) for ``cert``, cached."""
    return _signing_certificate_attribute(bytes(cert.dump()))


@dataclass(frozen=True)
class CmsTemplate:
    """The constant parts of one signer's PAdES CMS (``ETSI.CAdES.detached``, content type data).

    Signed attributes are exactly PAdES's three: content type, message digest and
    signing-certificate-v2 (the signing time goes into the PDF's ``/M``, never into the CMS).
    """

    signing_certificate_attr: bytes
    signed_data_head: bytes  # version, digestAlgorithms, encapContentInfo, [0] certificates
    signer_info_head: bytes  # version, sid, digestAlgorithm
    signature_algorithm: bytes

    @classmethod
    def from_pyhanko(
        cls, probe: cms.ContentInfo, signing_cert: asn1_x509.Certificate
    ) -> CmsTemplate:
        """Cut the template out of a CMS pyHanko assembled for this signer (any digest, value)."""
        signed_data = probe["content"]
        signer_info = signed_data["signer_infos"][0]
        return cls(
            signing_certificate_attr=signing_certificate_attribute(signing_cert),
            signed_data_head=b"".join(
                signed_data[k].dump()
                for k in ("version", "digest_algorithms", "encap_content_info", "certificates")
            ),
            signer_info_head=b"".join(
                signer_info[k].dump() for k in ("version", "sid", "digest_algorithm")
            ),
            signature_algorithm=signer_info["signature_algorithm"].dump(),
        )

    def signed_attributes(self, message_digest: bytes) -> bytes:
        """The DER ``SET OF Attribute`` that is hashed and signed (DER sorts a SET OF)."""
        digest_attr = _tlv(
            _SEQUENCE, _MESSAGE_DIGEST_OID + _tlv(_SET, _tlv(_OCTET_STRING, message_digest))
        )
        attrs = sorted((_CONTENT_TYPE_DATA_ATTR, digest_attr, self.signing_certificate_attr))
        return _tlv(_SET, b"".join(attrs))

    def content_info(
        self, signed_attributes: bytes, signature: bytes, unsigned_attributes: bytes | None
    ) -> bytes:
        """The whole ``ContentInfo`` (RFC 5652), from DER ``SET OF`` attributes and the value."""
        signer_info = self.signer_info_head + _tlv(_CONTEXT_0, _contents(signed_attributes))
        signer_info += self.signature_algorithm + _tlv(_OCTET_STRING, signature)
        if unsigned_attributes is not None:
            signer_info += _tlv(_CONTEXT_1, _contents(unsigned_attributes))
        signed_data = self.signed_data_head + _tlv(_SET, _tlv(_SEQUENCE, signer_info))
        return _tlv(_SEQUENCE, _SIGNED_DATA_OID + _tlv(_CONTEXT_0, _tlv(_SEQUENCE, signed_data)))


_TemplateKey = tuple[str, bool, bool, bytes, tuple[bytes, ...]]


class FastCmsMixin:
    """Mix in before a pyHanko ``Signer`` (``class S(FastCmsMixin, SimpleSigner)``).

    Overrides ``Signer.signed_attrs`` and ``Signer._package_signature`` for plain PAdES signatures
    and defers to pyHanko for anything else (CMS for non-PDF data, extra CAdES attributes, attribute
    certificates, encrypted documents' MAC attribute, custom attribute providers, another pyHanko
    version). Templates are cached per digest algorithm and certificate set.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast_cms_templates: dict[_TemplateKey, CmsTemplate] = {}
        self._mechanisms: dict[tuple[Any, ...], bytes] = {}

    # Overrides pyHanko 0.38 `Signer.get_signature_mechanism_for_digest` (public): pyHanko builds
    # the AlgorithmIdentifier from dicts each time, six times per signature. Its DER is kept per
    # input; each caller gets a fresh object loaded from it (nothing shared that could be mutated).
    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm:
        signer = self._signer()
        if (
            not fast_cms_applies()
            or signer.signing_cert is None
            or signer.signature_mechanism is not None  # pyHanko returns it as is: nothing to build
        ):
            mechanism: algos.SignedDigestAlgorithm = super().get_signature_mechanism_for_digest(  # type: ignore[misc]
                digest_algorithm
            )
            return mechanism
        key = (digest_algorithm, signer.prefer_pss, bytes(signer.signing_cert.sha256))
        der = self._mechanisms.get(key)
        if der is None:
            built = super().get_signature_mechanism_for_digest(digest_algorithm)  # type: ignore[misc]
            der = self._mechanisms[key] = bytes(built.dump())
        return algos.SignedDigestAlgorithm.load(der)

    # Overrides pyHanko 0.38 `Signer.signed_attrs` (public): the three PAdES attributes as one
    # DER SET built from cached pieces instead of attribute providers and asn1crypto dicts.
    # Parameters typed loosely on purpose: pyHanko's own signature is partly unannotated.
    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: Any = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        template = self._template_for_attrs(
            digest_algorithm, attr_settings, content_type, use_pades, is_pdf_sig
        )
        if template is None:
            attrs: cms.CMSAttributes = await super().signed_attrs(  # type: ignore[misc]
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
            return attrs
        # A loaded value dumps back to these exact bytes without re-encoding.
        return cms.CMSAttributes.load(template.signed_attributes(data_digest))

    # Overrides pyHanko 0.38 `Signer._package_signature` (private, hence the version pin): the
    # ContentInfo spliced from the template instead of SignerInfo/SignedData assembled from dicts.
    def _package_signature(
        self,
        *,
        digest_algorithm: str,
        cms_version: Any,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        unsigned_attrs: cms.CMSAttributes | None,
        encap_content_info: Any,
    ) -> cms.ContentInfo:
        template = None
        if cms_version == "v1" and encap_content_info in (None, {"content_type": "data"}):
            template = self.cms_template(digest_algorithm)
        if template is None:
            packaged: cms.ContentInfo = super()._package_signature(  # type: ignore[misc]
                digest_algorithm=digest_algorithm,
                cms_version=cms_version,
                signed_attrs=signed_attrs,
                signature=signature,
                unsigned_attrs=unsigned_attrs,
                encap_content_info=encap_content_info,
            )
            return packaged
        # asn1crypto's dump() always writes definite lengths (BER's indefinite form, e.g. from
        # an external signer, is re-encoded), so the contents can be re-tagged by splicing.
        signed = signed_attrs.dump()
        unsigned = unsigned_attrs.dump() if unsigned_attrs is not None else None
        return cms.ContentInfo.load(template.content_info(signed, signature, unsigned))

    def _template_for_attrs(
        self,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None,
        content_type: Any,
        use_pades: bool,
        is_pdf_sig: bool,
    ) -> CmsTemplate | None:
        plain_pades = (
            use_pades
            and is_pdf_sig
            and content_type == "data"
            and (attr_settings is None or attr_settings.cades_signed_attrs is None)
            and self._signer().signed_attr_prov_spec is None
        )
        return self.cms_template(digest_algorithm) if plain_pades else None

    def cms_template(self, digest_algorithm: str = "sha256") -> CmsTemplate | None:
        """This signer's template, or ``None`` when pyHanko's own assembly must run."""
        signer = self._signer()
        cert = signer.signing_cert
        if not fast_cms_applies() or cert is None or tuple(signer.attribute_certs):
            return None
        mechanism = signer.get_signature_mechanism_for_digest(digest_algorithm)
        key: _TemplateKey = (
            digest_algorithm.lower(),
            signer.embed_roots,
            signer.prefer_pss,
            bytes(mechanism.dump()),
            tuple(sorted(bytes(c.sha256) for c in signer.cert_registry)),
        )
        template = self._fast_cms_templates.get(key)
        if template is None:
            template = self._build_template(digest_algorithm.lower(), cert)
            self._fast_cms_templates[key] = template
        return template

    def _build_template(self, digest_algorithm: str, cert: asn1_x509.Certificate) -> CmsTemplate:
        # pyHanko's own assembly with placeholder values; only the constant parts are kept.
        probe = super()._package_signature(  # type: ignore[misc]
            digest_algorithm=digest_algorithm,
            cms_version="v1",
            signed_attrs=cms.CMSAttributes([_attribute("content_type", "data")]),
            signature=b"\0",
            unsigned_attrs=None,
            encap_content_info=None,
        )
        return CmsTemplate.from_pyhanko(probe, cert)

    def _signer(self) -> Any:
        return self  # the pyHanko Signer this is mixed into
