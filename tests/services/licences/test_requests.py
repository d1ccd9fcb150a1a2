"""Requesters (DigiLocker's third role): a system asks a holder for a licence, the holder shares,
declines or withdraws in the wallet, the system reads the licence only while it is shared, and
every step is in the holder's access log."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.services.conftest import USCC
from zhengtong.data.exchange.public import access_log_for, subject_ref
from zhengtong.kernel.crypto.public import Signature, verify_signature
from zhengtong.kernel.identity import services as identity_services
from zhengtong.services.licences import services
from zhengtong.services.licences.models import LicenceRequest, LicenceRequestState
from zhengtong.services.licences.requests import REQUEST_SCOPE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"
PURPOSE = "开立对公账户：核验营业执照"


def system(scopes=(REQUEST_SCOPE,), name="某银行对公开户系统") -> APIClient:
    _client, key = identity_services.api_client_create(name=name, department=None, scopes=list(scopes))
    return APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"ApiKey {key}")


def ask(requester: APIClient, holder: str = USCC, type_code: str = "business_licence", purpose: str = PURPOSE):
    return requester.post(reverse("licences-api-request-create"),
                          {"holder": holder, "type": type_code, "purpose": purpose}, format="json")


def read(requester: APIClient, request_id: str):
    return requester.get(reverse("licences-api-request-licence", kwargs={"public_id": request_id}))


@pytest.fixture
def holder(client, people):
    client.force_login(people.user("company"), backend=BACKEND)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def decide(holder_client, request_id: str, action: str, **data):
    return holder_client.post(reverse("licences:request-decide", args=[request_id, action]), data)


def test_shared_licence_is_read_as_issued_and_every_step_is_in_the_holder_s_log(holder, business_licence):
    bank = system()
    made = ask(bank)
    assert made.status_code == 201, made.content
    request_id = made.json()["id"]
    assert made.json()["state"] == "pending"
    # Nothing is readable before the holder decides; the refused read is logged too.
    assert (read(bank, request_id).status_code, read(bank, request_id).json()["code"]) == (403, "forbidden")

    wallet = holder.get(reverse("licences:wallet")).content.decode()
    assert "某银行对公开户系统" in wallet and PURPOSE in wallet
    response = decide(holder, request_id, "share", licence=str(business_licence.public_id))
    assert response.status_code == 302

    shared = read(bank, request_id)
    assert shared.status_code == 200, shared.content
    body = shared.json()
    assert body["payload"] == services.licence_payload(business_licence)
    assert body["verification"]["valid"] is True
    # The requester can check the seal itself: the signature is over the canonical payload.
    signature = Signature(body["signature_algorithm"], business_licence.signature_key_id,
                          base64.b64decode(body["signature"]))
    assert verify_signature(services.canonical_json(body["payload"]), signature)

    kinds = [entry.kind for entry in access_log_for(subject_refs=[subject_ref("company", USCC)])]
    assert kinds.count("licence.request.read") == 3  # two refused, one read
    assert {"licence.request", "licence.request.shared"} <= set(kinds)
    outcomes = sorted(entry.outcome for entry in access_log_for(subject_refs=[subject_ref("company", USCC)])
                      if entry.kind == "licence.request.read")
    assert outcomes == ["ok", "refused:pending", "refused:pending"]


def test_withdrawn_or_declined_stops_the_reads(holder, business_licence):
    bank = system()
    first = ask(bank).json()["id"]
    decide(holder, first, "share", licence=str(business_licence.public_id))
    assert read(bank, first).status_code == 200
    decide(holder, first, "withdraw")
    assert read(bank, first).status_code == 403
    assert LicenceRequest.objects.get(public_id=first).state == LicenceRequestState.WITHDRAWN

    second = ask(bank).json()["id"]
    decide(holder, second, "decline")
    assert read(bank, second).status_code == 403
    # A decided request cannot be shared afterwards.
    decide(holder, second, "share", licence=str(business_licence.public_id))
    assert read(bank, second).status_code == 403


def test_a_lapsed_request_cannot_be_shared(holder, business_licence):
    bank = system()
    request_id = ask(bank).json()["id"]
    LicenceRequest.objects.filter(public_id=request_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bank.get(reverse("licences-api-request", kwargs={"public_id": request_id})).json()["state"] == "expired"
    decide(holder, request_id, "share", licence=str(business_licence.public_id))
    assert LicenceRequest.objects.get(public_id=request_id).state == LicenceRequestState.PENDING
    assert read(bank, request_id).status_code == 403


def test_bad_asks_are_refused_with_a_reason_and_make_nothing(business_licence):
    without_scope = system(scopes=())
    assert (ask(without_scope).status_code, ask(without_scope).json()["code"]) == (403, "forbidden")
    bank = system()
    bad_id = ask(bank, holder="not an id")
    assert bad_id.status_code == 400
    assert "neither a resident ID number nor a unified social credit code" in bad_id.json()["detail"]
    assert "not a licence type" in ask(bank, type_code="no_such_type").json()["detail"]
    assert ask(bank, purpose="").status_code == 400
    assert LicenceRequest.objects.count() == 0


def test_an_identifier_no_account_holds_gives_the_same_answer(business_licence):
    bank = system()
    nobody = ask(bank, holder="91330106MA27XWTC72")  # a valid credit code no account holds
    known = ask(bank)
    assert (nobody.status_code, nobody.json()["state"]) == (known.status_code, known.json()["state"]) == (201, "pending")
    assert LicenceRequest.objects.get(public_id=nobody.json()["id"]).holder_user_id is None


def test_others_cannot_see_or_decide(holder, business_licence, people, client):
    bank, other_bank = system(), system(name="另一家银行")
    request_id = ask(bank).json()["id"]
    assert other_bank.get(reverse("licences-api-request", kwargs={"public_id": request_id})).status_code == 404
    assert read(other_bank, request_id).status_code == 404
    client.logout()
    client.force_login(people.user("citizen_a"), backend=BACKEND)
    assert decide(client, request_id, "share", licence=str(business_licence.public_id)).status_code == 404
    assert "某银行对公开户系统" not in client.get(reverse("licences:wallet")).content.decode()


def test_only_an_own_active_licence_of_the_type_is_shared(holder, business_licence, people):
    bank = system()
    request_id = ask(bank).json()["id"]
    services.licence_suspend(actor=people.actor("sj_leader"), licence_id=business_licence.public_id, reason="核查中")
    page = decide(holder, request_id, "share", licence=str(business_licence.public_id))
    assert page.status_code == 302
    assert LicenceRequest.objects.get(public_id=request_id).state == LicenceRequestState.PENDING
    assert "Only an active licence can be shared." in holder.get(reverse("licences:wallet")).content.decode()
