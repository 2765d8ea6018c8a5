"""A record signed slot by slot through its whole plan ends B-LTA and verifies."""

from __future__ import annotations

from service.context import Context
from service.signing import SignerIdentity, Status, sign_document
from signing.backends import Pkcs11Backend
from signing.backends.softhsm import TokenInfo
from signing.verify import verify_pdf
from signing_flow.conftest import SEAL_PIN, School
from signing_flow.flow import documents, events, stored, who

# Subject teachers in an order unlike the form's; GV003 (Ngữ văn, and the homeroom teacher) last.
TEACHERS = ("GV011", "GV005", "GV008", "GV004", "GV006", "GV003")
SUBJECT_FIELDS = {
    "GV003": "gvbm_NGU_VAN",
    "GV004": "gvbm_TOAN",
    "GV005": "gvbm_NN1",
    "GV006": "gvbm_LICH_SU_DIA_LI",
    "GV008": "gvbm_KHTN",
    "GV011": "gvbm_TIN_HOC",
}


def test_whole_plan_ends_in_a_document_timestamp_and_verifies(
    home: Context, school: School, seal_token: TokenInfo
) -> None:
    doc = documents(home, "hoc-ba-trung-hoc")[0]
    before = stored(home, doc)
    assert (before.revision, before.signed, before.state) == (0, (), "rendered")

    for n, teacher in enumerate(TEACHERS, start=1):
        outcome = sign_document(home, who(school.pki, teacher), doc)
        assert outcome.status is Status.SIGNED
        now = stored(home, doc)
        assert now.revision == n  # one compare-and-swap per signer
        assert now.file == now.pdf  # the working copy follows the database
        assert now.state == "signing"
        if teacher != "GV003":
            assert outcome.fields == (SUBJECT_FIELDS[teacher],)
    # The last subject teacher is also the homeroom teacher: once Ngữ văn was signed, the plan
    # allowed the homeroom slot, and both went into the same revision.
    assert outcome.fields == ("gvbm_NGU_VAN", "gvcn")
    assert not outcome.timestamped

    principal = sign_document(home, who(school.pki, "GV001"), doc)
    assert principal.fields == ("hieu_truong",) and not principal.timestamped

    seal = SignerIdentity(
        school.code,
        Pkcs11Backend(
            seal_token.module_path, seal_token.token_label, seal_token.key_label, SEAL_PIN
        ),
    )
    last = sign_document(home, seal, doc)
    assert last.fields == ("con_dau",)
    assert last.timestamped  # the plan's last signature brings the B-LTA document timestamp

    final = stored(home, doc)
    assert final.state == "signed"
    assert final.revision == len(TEACHERS) + 2
    assert final.file == final.pdf
    assert final.pdf.startswith(before.pdf)  # incremental updates only: the rendered base intact
    assert set(final.signed) == {*SUBJECT_FIELDS.values(), "gvcn", "hieu_truong", "con_dau"}

    report = verify_pdf(final.pdf, trust_roots=school.pki.trust_roots(), demo_mode=True)
    assert report.bottom_line, [f.message for f in report.findings]
    assert report.lta.status == "ok"
    assert sorted(s.field_name for s in report.signatures) == sorted(final.signed)
    assert all(s.ok for s in report.signatures)
    assert [t.field_name for t in report.timestamps] == ["dau_thoi_gian_1"]

    signed_events = [d for subject, d in events(home, "document.signed") if subject == doc]
    assert sorted(e["field"] for e in signed_events) == sorted(final.signed)
    assert {e["signer"] for e in signed_events} == {*TEACHERS, "GV001", school.code}
    assert events(home, "document.timestamped") == [(doc, {"revision": final.revision})]

    # Signing again changes nothing: every slot of the seal is signed.
    again = sign_document(home, who(school.pki, "GV004"), doc)
    assert again.status is Status.SKIPPED
    assert stored(home, doc) == final
