import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zhengtong.kernel.ledger.models import LedgerLeaf

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"licences-api-{name}", kwargs=kwargs)


def test_wallet_show_and_public_verify(people, business_licence, english):
    company = api(people.user("company"))
    mine = company.get(url("mine")).json()
    assert [(l["number"], l["type"], l["state"]) for l in mine] == [(business_licence.number, "business_licence", "active")]
    assert mine[0]["fields"]["legal_representative"] == "王*"
    shown = company.post(url("show", public_id=business_licence.public_id))
    assert shown.status_code == 201
    verified = api().post(url("verify"), {"token": shown.json()["token"]}, format="json")
    body = verified.json()
    assert verified.status_code == 200 and body["valid"] is True and body["number"] == business_licence.number
    assert [c["name"] for c in body["checks"]] == ["token", "signature", "ledger", "state", "validity", "issuer", "type"]
    assert LedgerLeaf.objects.filter(kind="licence.verified", actor="anonymous").count() == 1
    tampered = api().post(url("verify"), {"token": shown.json()["token"][:-3] + "AAA"}, format="json").json()
    assert (tampered["valid"], tampered["reason"]) == (
        False, "The show code was altered or not issued by this platform.")
    empty = api().post(url("verify"), {}, format="json")
    assert (empty.status_code, empty.json()) == (
        400, {"code": "invalid", "detail": "Give a number, an id, a payload or a show code."})


def test_others_cannot_see_or_show_a_licence(people, business_licence, english):
    for who in ("citizen_a", "rs_leader"):
        client = api(people.user(who))
        assert client.get(url("detail", public_id=business_licence.public_id)).status_code == 404
        assert client.post(url("show", public_id=business_licence.public_id)).status_code == 404
        assert client.get(url("mine")).json() == []
    assert api().get(url("mine")).status_code in (401, 403)


def test_the_issuer_revokes_and_the_verifier_sees_it(people, business_licence, english):
    outsider = api(people.user("rs_leader")).post(url("revoke", public_id=business_licence.public_id),
                                                  {"reason": "x"}, format="json")
    assert outsider.status_code == 403 and outsider.json()["code"] == "forbidden"
    issuer = api(people.user("sj_case"))
    assert [l["number"] for l in issuer.get(url("issued")).json()] == [business_licence.number]
    revoked = issuer.post(url("revoke", public_id=business_licence.public_id), {"reason": "吊销营业执照"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    body = api().post(url("verify"), {"number": business_licence.number}, format="json").json()
    assert (body["valid"], body["state"], body["reason"]) == (False, "revoked", "The licence was revoked: 吊销营业执照")


def test_the_wallet_costs_the_same_queries_whatever_its_length(people, business_licence, types):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.services.conftest import COMPANY_NAME, USCC
    from zhengtong.services.licences import services

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api(people.user("company")).get(url("mine")).status_code == 200
        return len(queries)

    one = cost()
    leader = people.actor("sj_leader")
    for _n in range(2):
        services.licence_issue(actor=leader, licence_type=types["business_licence"],
                               department_id=leader.department_id, holder_kind="company",
                               holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
                               holder_identifier=USCC, fields={"name": COMPANY_NAME})
    assert cost() == one
    assert len(services.licence_types_ensure()) == 9 and type(business_licence.type).objects.count() == 9
