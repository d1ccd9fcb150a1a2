import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.services.conftest import COMPANY_NAME, USCC
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.ledger.public import ledger_publish_tree_head, ledger_sequence
from zhengtong.services.licences import selectors, services
from zhengtong.services.licences.errors import (
    LicenceInvalid,
    LicenceNotFound,
    LicencePermissionDenied,
    ShowTokenInvalid,
)
from zhengtong.services.licences.models import Licence

pytestmark = pytest.mark.django_db


def checks(result) -> dict[str, bool]:
    return {check.name: check.passed for check in result.checks}


def test_issue_seals_records_and_announces_the_licence(people, business_licence):
    licence = business_licence
    assert (licence.type.code, licence.department.code, licence.state, licence.holder_kind) == (
        "business_licence", "330106-SJ", "active", "company")
    assert licence.number.startswith("330106-SJ-") and licence.valid_until is None
    assert licence.signature_key_id.startswith(licence.seal.unit + "/")
    # The holder's identifier is encrypted at rest and found by its blind index.
    with connection.cursor() as cursor:
        cursor.execute("SELECT holder_identifier, holder_name FROM licences_licence WHERE id = %s", [licence.pk])
        raw = " ".join(cursor.fetchone())
    assert USCC not in raw and COMPANY_NAME not in raw
    assert Licence.objects.get(holder_identifier_index=Licence._meta.get_field(
        "holder_identifier_index").index_of(USCC)).pk == licence.pk
    assert LedgerLeaf.objects.filter(public_id=licence.ledger_leaf_id, kind="licence.issued").exists()
    assert LedgerLeaf.objects.filter(subject=f"seal:{licence.seal.public_id}", kind="seal.used").count() == 1
    assert [e.payload["licence"] for e in OutboxEvent.objects.filter(name="licences.issued")] == [str(licence.public_id)]


def test_issue_refusals_leave_nothing(people, types, sj_seal, english):
    leader = people.actor("sj_leader")
    common = dict(holder_kind="company", holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
                  holder_identifier=USCC)
    with pytest.raises(LicenceInvalid) as wrong_issuer:  # a market regulator does not issue marriage certificates
        services.licence_issue(actor=leader, licence_type=types["marriage_certificate"],
                               department_id=leader.department_id, fields={}, **common)
    assert "does not issue “结婚证”" in wrong_issuer.value.message
    with pytest.raises(LicenceInvalid) as unknown_field:
        services.licence_issue(actor=leader, licence_type=types["business_licence"],
                               department_id=leader.department_id, fields={"colour": "red"}, **common)
    assert unknown_field.value.message == "“营业执照” has no field colour."
    with pytest.raises(LicencePermissionDenied):  # staff of another department
        services.licence_issue(actor=people.actor("rs_leader"), licence_type=types["business_licence"],
                               department_id=leader.department_id, fields={}, **common)
    with pytest.raises(LicencePermissionDenied):  # in the department, but not allowed to use its seal
        services.licence_issue(actor=people.actor("sj_case"), licence_type=types["business_licence"],
                               department_id=leader.department_id, fields={}, **common)
    assert not Licence.objects.exists()
    assert not LedgerLeaf.objects.filter(kind="licence.issued").exists()
    assert list(LedgerLeaf.objects.filter(kind="seal.use_refused").values_list("actor", flat=True)) == [
        f"staff:{people.users['sj_case'].id}"]


def test_no_licence_is_issued_with_a_revoked_seal(people, types, sj_seal, english):
    leader = people.actor("sj_leader")
    services.seal_revoke(actor=leader, seal=sj_seal, reason="印章遗失")
    common = dict(actor=leader, licence_type=types["business_licence"], department_id=leader.department_id,
                  holder_kind="company", holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
                  holder_identifier=USCC, fields={})
    with pytest.raises(LicenceInvalid) as no_seal:
        services.licence_issue(**common)
    assert no_seal.value.message == "“西湖区市场监督管理局” has no active e-seal to issue with."
    with pytest.raises(LicenceInvalid) as revoked:
        services.licence_issue(seal=sj_seal, **common)
    assert revoked.value.message == "The seal “西湖区市场监督管理局电子印章” was revoked (印章遗失) and signs nothing."
    assert not Licence.objects.exists()


def test_verify_names_each_check_and_masks_the_holder(people, business_licence, english):
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert result.valid and result.reason == ""
    assert checks(result) == {"signature": True, "ledger": True, "state": True, "validity": True, "issuer": True,
                              "type": True}
    assert (result.type_name, result.issuer, result.state) == ("营业执照", "330106-SJ", "active")
    # A company's name and credit code are public (kernel.masking); its people's names are not.
    assert result.holder == f"{COMPANY_NAME} {USCC}"
    assert result.fields == {"name": COMPANY_NAME, "uscc": USCC, "legal_representative": "王*",
                             "business_scope": "数据处理服务", "address": "浙江省杭州市西********"}
    assert LedgerLeaf.objects.filter(kind="licence.verified", subject=f"licence:{business_licence.public_id}").count() == 1
    by_id = services.licence_verify(actor=people.actor("citizen_b"), public_id=business_licence.public_id)
    assert by_id.valid


def test_the_ledger_check_proves_inclusion_under_a_signed_tree_head(people, business_licence, english):
    ledger_sequence()
    ledger_publish_tree_head()
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    ledger = next(c for c in result.checks if c.name == "ledger")
    assert result.valid and ledger.detail.startswith("Recorded in the ledger at index ")
    assert "proved included in the signed tree" in ledger.detail


def test_a_tampered_payload_fails_the_signature(people, business_licence, english):
    presented = services.licence_payload(business_licence)
    assert services.licence_verify(actor=people.actor("citizen_b"), payload=presented).valid
    presented["fields"] = {**presented["fields"], "business_scope": "金融服务"}
    result = services.licence_verify(actor=people.actor("citizen_b"), payload=presented)
    assert not result.valid and checks(result)["signature"] is False
    assert result.reason == "The presented licence differs from the one issued: it was altered."


def test_a_licence_altered_in_the_register_fails_the_signature(people, business_licence, english):
    Licence.objects.filter(pk=business_licence.pk).update(fields={**business_licence.fields, "name": "别的公司"})
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert not result.valid
    assert result.reason == "The seal's signature does not match the licence: it was altered."


def test_a_licence_missing_from_the_ledger_fails(people, business_licence, english):
    Licence.objects.filter(pk=business_licence.pk).update(ledger_leaf_id=uuid.uuid4())
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert not result.valid and checks(result) == {"signature": True, "ledger": False, "state": True,
                                                   "validity": True, "issuer": True, "type": True}
    assert result.reason == "The licence's ledger entry is missing from the ledger."
    Licence.objects.filter(pk=business_licence.pk).update(ledger_leaf_id=None)
    assert services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number).reason == (
        "The licence was never recorded in the ledger.")


def test_a_ledger_entry_of_something_else_does_not_vouch_for_the_licence(people, business_licence, english):
    other = LedgerLeaf.objects.filter(kind="seal.used").values_list("public_id", flat=True).first()
    Licence.objects.filter(pk=business_licence.pk).update(ledger_leaf_id=other)
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert result.reason == "The ledger entry does not record this licence as it stands."


def test_suspend_reinstate_revoke_by_the_issuing_department_only(people, business_licence, english):
    case = people.actor("sj_case")
    public_id = business_licence.public_id
    for who in ("rs_leader", "sj_data" if "sj_data" in people.users else "rs_data", "company"):
        with pytest.raises(LicencePermissionDenied):
            services.licence_suspend(actor=people.actor(who), licence_id=public_id, reason="x")
    with pytest.raises(LicenceInvalid):
        services.licence_suspend(actor=case, licence_id=public_id, reason="")
    services.licence_suspend(actor=case, licence_id=public_id, reason="经营异常")
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert (result.valid, result.state, result.reason) == (False, "suspended", "The licence is suspended: 经营异常")
    services.licence_reinstate(actor=case, licence_id=public_id, reason="已整改")
    assert services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number).valid
    services.licence_revoke(actor=people.actor("sj_leader"), licence_id=public_id, reason="吊销")
    result = services.licence_verify(actor=people.actor("citizen_b"), number=business_licence.number)
    assert (result.valid, result.reason) == (False, "The licence was revoked: 吊销")
    with pytest.raises(LicenceInvalid) as again:
        services.licence_reinstate(actor=case, licence_id=public_id, reason="x")
    assert again.value.message == "A licence that is Revoked cannot be changed that way."
    assert list(LedgerLeaf.objects.filter(subject=f"licence:{public_id}").exclude(kind="licence.verified")
                .order_by("id").values_list("kind", flat=True)) == [
        "licence.issued", "licence.suspended", "licence.reinstated", "licence.revoked"]


def test_expiry_by_date(people, types, english):
    leader = people.actor("rs_leader")
    services.seal_create(actor=leader, department_id=leader.department_id, name="人社局印章")
    card = services.licence_issue(actor=leader, licence_type=types["social_security_card"],
                                  department_id=leader.department_id, holder_kind="citizen",
                                  holder_user_id=people.users["citizen_a"].id, holder_name="王芳",
                                  holder_identifier="330106198503020246", fields={"name": "王芳"})
    assert card.valid_until == timezone.localdate(card.issued_at) + timedelta(days=3650)
    assert services.licences_expire(today=card.valid_until) == 0
    assert services.licences_expire(today=card.valid_until + timedelta(days=1)) == 1
    result = services.licence_verify(actor=people.actor("citizen_b"), number=card.number)
    assert (result.valid, result.reason) == (False, "The licence has expired.")
    assert result.holder == "王* 3***************46"


def test_unknown_licence(people, english):
    result = services.licence_verify(actor=people.actor("citizen_b"), number="NO-SUCH")
    assert (result.valid, result.reason) == (False, "No licence has this number or id.")


# --- show tokens ---------------------------------------------------------------------------------

def test_show_token_round_trip_and_holder_only(people, business_licence, english):
    company = people.actor("company")
    token, expires = services.show_token_create(actor=company, licence_id=business_licence.public_id)
    assert 110 <= (expires - timezone.now()).total_seconds() <= 121
    result = services.licence_verify(actor=people.actor("window"), token=token)
    assert result.valid and checks(result)["token"] is True and result.number == business_licence.number
    with pytest.raises(LicenceNotFound):
        services.show_token_create(actor=people.actor("citizen_b"), licence_id=business_licence.public_id)


def test_a_tampered_token_is_rejected(people, business_licence, english):
    token, _expires = services.show_token_create(actor=people.actor("company"), licence_id=business_licence.public_id)
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["exp"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + signature
    result = services.licence_verify(actor=people.actor("window"), token=forged)
    assert (result.valid, result.reason) == (False, "The show code was altered or not issued by this platform.")
    assert services.licence_verify(actor=people.actor("window"), token="garbage").reason == (
        "This is not a licence show code.")
    assert LedgerLeaf.objects.filter(kind="licence.verified", subject="licence:unknown").count() == 2


def test_a_token_signed_by_another_key_is_rejected(people, business_licence, sj_seal, english):
    """A seal keeper cannot mint show codes with the seal's key."""
    token, _expires = services.show_token_create(actor=people.actor("company"), licence_id=business_licence.public_id)
    body = token.split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    signature = services.signing_key(sj_seal.unit).sign(b"")
    claims["kid"], claims["alg"] = signature.key_id, signature.algorithm
    data = services.canonical_json(claims)
    value = services.signing_key(sj_seal.unit).sign(data).value
    forged = f"{services._b64(data)}.{services._b64(value)}"
    with pytest.raises(ShowTokenInvalid) as refused:
        services.show_token_read(forged)
    assert refused.value.message == "The show code was altered or not issued by this platform."


def test_an_expired_token_is_rejected(people, business_licence, english):
    with override_settings(LICENCE_SHOW_TOKEN_SECONDS=0):
        token, _expires = services.show_token_create(actor=people.actor("company"),
                                                     licence_id=business_licence.public_id)
    result = services.licence_verify(actor=people.actor("window"), token=token)
    assert not result.valid and result.reason.startswith("The show code expired at ")
    assert result.reason.endswith("ask the holder to show it again.")


def test_a_revoked_licence_cannot_be_shown(people, business_licence, english):
    services.licence_revoke(actor=people.actor("sj_leader"), licence_id=business_licence.public_id, reason="吊销")
    with pytest.raises(LicenceInvalid) as refused:
        services.show_token_create(actor=people.actor("company"), licence_id=business_licence.public_id)
    assert refused.value.message == "A licence that is Revoked cannot be shown."


# --- scoping --------------------------------------------------------------------------------------

def test_wallet_and_access_are_scoped(people, business_licence):
    assert [l.pk for l in selectors.licence_list_mine(actor=people.actor("company"))] == [business_licence.pk]
    assert selectors.licence_list_mine(actor=people.actor("citizen_a")) == []
    assert selectors.licence_list_mine(actor=people.actor("sj_leader")) == []
    assert selectors.access_licence(actor=people.actor("company"), licence_id=business_licence.public_id).pk == (
        business_licence.pk)
    assert selectors.access_licence(actor=people.actor("sj_case"), licence_id=business_licence.public_id).pk == (
        business_licence.pk)
    for who in ("citizen_a", "rs_leader"):
        with pytest.raises(LicenceNotFound):
            selectors.access_licence(actor=people.actor(who), licence_id=business_licence.public_id)
    assert [l.pk for l in selectors.licence_list_issued(actor=people.actor("sj_case"))] == [business_licence.pk]
    assert selectors.licence_list_issued(actor=people.actor("rs_case")) == []
