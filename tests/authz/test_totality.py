"""``authorize`` is total and pure: any principal, any resource, an answer with a reason."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from authz.world import GRANTS
from records.slots import SignerRole
from service.authz import (
    RULES,
    Action,
    CorrectionRef,
    Principal,
    RecordState,
    ResourceRef,
    Role,
    SlotRef,
    authorize,
)

RULE_IDS = {r.id for r in RULES}
opt = st.one_of(st.none(), st.sampled_from(["BX", "SP", "BANXEO", "8A1", "TOAN", "HS0001", "x"]))


@st.composite
def resources(draw: st.DrawFn) -> ResourceRef:
    district = draw(st.sampled_from([None, "BX", "SP"]))
    school = draw(st.sampled_from([None, "BANXEO", "MUONGHUM"])) if district else None
    class_id = draw(st.sampled_from([None, "8A1", "8A2"])) if school else None
    return ResourceRef(
        draw(st.sampled_from(["LC", "YB"])),
        district,
        school,
        year=draw(st.sampled_from([None, "2025-2026", "2024-2025"])),
        class_id=class_id,
        subject=draw(st.sampled_from([None, "TOAN", "VAN"])),
        student=draw(st.sampled_from([None, "HS0001", "HS0002"])),
        state=draw(st.one_of(st.none(), st.sampled_from(list(RecordState)))),
        slot=draw(
            st.one_of(
                st.none(),
                st.builds(SlotRef, st.sampled_from(list(SignerRole)), opt, opt),
            )
        ),
        correction=draw(
            st.one_of(
                st.none(),
                st.builds(
                    CorrectionRef,
                    st.sampled_from(["a", "b"]),
                    st.sampled_from([None, "a", "b"]),
                    st.sampled_from([None, "a"]),
                    st.sampled_from([(), ("a",), ("b",)]),
                ),
            )
        ),
        account=draw(st.sampled_from([None, "a", "b"])),
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    account=st.sampled_from(["a", "b"]),
    roles=st.lists(st.sampled_from(list(GRANTS)), max_size=3),
    action=st.sampled_from(list(Action)),
    resource=resources(),
)
def test_always_an_answer_with_a_reason(
    account: str, roles: list[Role], action: Action, resource: ResourceRef
) -> None:
    who = Principal(account, tuple(GRANTS[r] for r in roles))
    first = authorize(who, action, resource)
    assert first == authorize(who, action, resource)  # pure: same question, same answer
    assert first.reason and unicodedata.is_normalized("NFC", first.reason)
    if first.allowed:
        assert first.rule in RULE_IDS
        assert first.rule.split(":")[1] in {g.role for g in who.grants}
    else:
        assert first.rule.startswith("deny.")
