"""Reading by a person's consent (GovStack Consent): only their records, only the consented fields,
in plain; revocation and expiry take effect at the next call."""

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.data.exchange.models import Consent, ShareCall

from .conftest import CITIZEN_ID, CODE, PEOPLE, calls, consent_make, grant_make, ledger, ref, state

pytestmark = pytest.mark.django_db

NEIGHBOUR = PEOPLE[1]["resident_id"]  # another 低保 recipient, who consented to nothing


def get(system, key, **query):
    return system.api().get(reverse("share-record", kwargs={"service": CODE, "key": key}), query)


def test_a_consent_lets_the_system_read_that_person_s_consented_fields_in_plain(shared, bank, citizen):
    consent = consent_make(citizen, bank, [shared.service])
    response = get(bank, CITIZEN_ID)
    assert response.status_code == 200, response.content
    assert response.json() == {"key": CITIZEN_ID, "values": {"name": "陈一明", "category": "低保", "amount": 100},
                               "masked": []}
    call = ShareCall.objects.get()
    assert (call.outcome, call.grant_id, call.consent_id, call.purpose, call.subject_ref) == (
        "ok", None, consent.pk, "个人消费贷款审批", ref(CITIZEN_ID))
    ((subject, actor, payload),) = ledger("share.call")
    assert (subject, payload["consent"], payload["grant"], payload["purpose"]) == (
        ref(CITIZEN_ID), str(consent.public_id), None, "个人消费贷款审批")


def test_a_consent_covers_its_fields_and_its_person_only(shared, bank, citizen):
    consent_make(citizen, bank, [shared.service])
    before = state()
    response = get(bank, CITIZEN_ID, fields="name,mobile")
    assert response.status_code == 403 and response.json()["code"] == "field_not_granted"
    assert response.json()["detail"] == "Your grant does not cover the field(s) mobile."
    # Another person, who consented to nothing: the bank (scope "consent") is told consent is required.
    response = get(bank, NEIGHBOUR)
    assert response.status_code == 403 and response.json()["code"] == "consent_required"
    assert response.json()["detail"] == (
        "This record concerns a person or company who has not authorized your system.")
    # An unknown key tells such a system nothing more than a known one of someone else.
    assert get(bank, "330106199901019999").json()["code"] == "consent_required"
    assert [c.outcome for c in calls()] == ["field_not_granted", "consent_required", "consent_required"]
    assert [s for s, _a, _p in ledger("share.refused")] == [ref(CITIZEN_ID), f"service:{CODE}", f"service:{CODE}"]
    assert state() == before


def test_revoking_the_consent_stops_the_next_call_at_once(shared, bank, citizen):
    consent = consent_make(citizen, bank, [shared.service])
    assert get(bank, CITIZEN_ID).status_code == 200
    Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    before = state()
    response = get(bank, CITIZEN_ID)
    assert response.status_code == 403 and response.json()["code"] == "consent_revoked"
    assert response.json()["detail"].startswith("The person or company concerned revoked your system's authorization at ")
    call = ShareCall.objects.order_by("-id").first()
    assert (call.outcome, call.consent_id, call.subject_ref) == ("consent_revoked", consent.pk, ref(CITIZEN_ID))
    # The person sees the refused attempt in their access log too.
    assert ledger("share.refused")[-1][0] == ref(CITIZEN_ID)
    assert state() == before


def test_an_expired_consent_says_so(shared, bank, citizen):
    consent_make(citizen, bank, [shared.service], expires_at=timezone.now() - timezone.timedelta(seconds=1))
    response = get(bank, CITIZEN_ID)
    assert response.status_code == 403 and response.json()["code"] == "consent_expired"
    assert response.json()["detail"].startswith("The authorization of the person or company concerned expired at ")


def test_a_consent_for_another_service_or_system_does_not_count(shared, bank, stranger, citizen, departments):
    from .conftest import service_make

    other = service_make(shared.service.dataset, departments["330106-MZ"], code="ds-other")
    consent_make(citizen, bank, [other])
    assert get(bank, CITIZEN_ID).json()["code"] == "consent_required"
    consent_make(citizen, bank, [shared.service])
    # A system without the consent scope and without a grant is simply told it has no grant.
    assert get(stranger, CITIZEN_ID).json()["code"] == "grant_missing"


def test_a_grant_holder_gets_fields_beyond_its_grant_where_the_person_consented(shared, rs, citizen):
    grant = grant_make(rs, shared.service, fields=["name", "amount"])
    consent = consent_make(citizen, rs, [shared.service], fields=["address"])
    response = get(rs, CITIZEN_ID, fields="name,amount,address")
    assert response.status_code == 200
    assert response.json()["values"] == {"name": "陈**", "amount": 100,
                                         "address": "浙江省杭州市西湖区北山街道保俶路1号3幢201室"}
    call = ShareCall.objects.get()
    assert (call.grant_id, call.consent_id) == (grant.pk, consent.pk)
    # Not for a neighbour, who consented to nothing.
    response = get(rs, NEIGHBOUR, fields="name,address")
    assert response.status_code == 403 and response.json()["code"] == "field_not_granted"
    # Revoked: the same call fails.
    Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    assert get(rs, CITIZEN_ID, fields="name,address").json()["code"] == "field_not_granted"


def test_a_revoked_grant_without_consent_still_says_revoked_to_a_consent_system(shared, departments):
    from zhengtong.kernel.identity import services as identity_services

    from .conftest import System

    system = System(*identity_services.api_client_create(name="公积金系统", department=departments["330106-RS"],
                                                         scopes=["consent"]))
    grant_make(system, shared.service, revoked_at=timezone.now(), reason="合同到期")
    body = get(system, NEIGHBOUR).json()
    assert body["code"] == "grant_revoked" and body["detail"].endswith(": 合同到期")
