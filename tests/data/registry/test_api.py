"""The registry API: read, search and exists for staff, scoped by department, masked, and logged in
the ledger. Systems read the registries through the sharing gateway (tests/data/exchange/gateway)."""

import pytest
from django.urls import reverse

from zhengtong.data.registry.public import registry_lookup
from zhengtong.kernel.identity import services as identity_services

from .conftest import CHEN, ZHAO, ledger, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(sources):
    run()
    return {"chen": registry_lookup(kind="person", resident_id=CHEN).registry_id,
            "zhao": registry_lookup(kind="person", resident_id=ZHAO).registry_id}


@pytest.fixture
def api_client(departments):
    client, key = identity_services.api_client_create(name="社保待遇资格认证系统", department=departments["330106-RS"],
                                                      scopes=[])
    return client, {"HTTP_AUTHORIZATION": f"ApiKey {key}"}


def read_url(registry_id):
    return reverse("registry-record", kwargs={"kind": "person", "registry_id": registry_id})


SEARCH = reverse("registry-record-search", kwargs={"kind": "person"})
EXISTS = reverse("registry-record-exists", kwargs={"kind": "person"})


def test_systems_are_sent_to_the_sharing_gateway_and_nothing_is_logged(client, built, api_client):
    _client, auth = api_client
    for response in (
        client.get(read_url(built["chen"]), **auth),
        client.get(SEARCH, {"resident_id": CHEN}, **auth),
        client.post(EXISTS, {"query": {"resident_id": CHEN}}, content_type="application/json", **auth),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "业务系统须经共享网关、凭共享授权读取基础库：GET /api/v1/share/registry-person/records/{registry_id}")
    assert ledger("registry.read") == [] and ledger("registry.exists") == []


def test_the_bureau_reads_a_record_masked_with_provenance_and_each_read_is_logged(client, built, people):
    client.force_login(people.users["xihu_dsj_admin"])
    response = client.get(read_url(built["chen"]))
    assert response.status_code == 200
    body = response.json()
    assert body["registry_id"] == built["chen"] and body["kind"] == "person" and body["status"] == "active"
    values = {a["name"]: a["value"] for a in body["attributes"]}
    assert {k: values[k] for k in ("resident_id", "name", "birth_date", "mobile")} == {
        "resident_id": "3" + "*" * 15 + CHEN[-2:], "name": "陈*", "birth_date": "1977-12-11", "mobile": "159****2222"}
    name = next(a for a in body["attributes"] if a["name"] == "name")
    assert (name["masked"], name["source_dataset"], name["source_department"], name["dataset_version"],
            name["verified"], name["authoritative"]) == (True, "330106-GA-00001", "西湖区公安局", 1, True, True)
    mobile = next(a for a in body["attributes"] if a["name"] == "mobile")
    assert (mobile["source_dataset"], mobile["verified"]) == ("330106-RS-00001", False)
    assert values["address"] == "浙江省杭州市西湖区文三路9" + "*" * 8  # the address masked
    ((subject, actor, payload),) = ledger("registry.read")
    assert subject == built["chen"] and actor == f"staff:{people.users['xihu_dsj_admin'].pk}"
    assert payload["via"] == "api" and payload["grant"] is None and payload["purpose"] == "基础库治理"  # in the request's language


def test_search_by_identifier_or_by_name_and_birth_date(client, built, people):
    client.force_login(people.users["xihu_dsj_admin"])
    by_id = client.get(SEARCH, {"resident_id": CHEN.lower()[:-1] + CHEN[-1].lower()}).json()
    assert [r["registry_id"] for r in by_id["results"]] == [built["chen"]]
    by_name = client.get(SEARCH, {"name": "赵敏", "birth_date": "1992-05-20"}).json()
    assert [r["registry_id"] for r in by_name["results"]] == [built["zhao"]]
    assert client.get(SEARCH, {"name": "赵敏", "birth_date": "1992-05-21"}).json() == {"results": []}
    assert client.get(SEARCH, {"name": "赵敏"}).status_code == 400
    assert [subject for subject, _actor, _payload in ledger("registry.read")] == [built["chen"], built["zhao"]]


def test_exists_answers_yes_or_no_and_nothing_else(client, built, people):
    client.force_login(people.users["xihu_dsj_admin"])
    yes = client.post(EXISTS, {"query": {"resident_id": CHEN}}, content_type="application/json")
    no = client.post(EXISTS, {"query": {"resident_id": "110102199101010078"}}, content_type="application/json")
    assert (yes.status_code, yes.json()) == (200, {"exists": True})
    assert (no.status_code, no.json()) == (200, {"exists": False})
    assert built["chen"] not in yes.content.decode()
    assert [payload["answer"] for _s, _a, payload in ledger("registry.exists")] == [True, False]
    assert ledger("registry.exists")[0][2]["criteria"] == ["resident_id"]
    assert ledger("registry.read") == []  # nothing was read


def test_staff_read_by_their_department_s_share_and_the_bureau_reads_all_masked(client, built, people):
    client.force_login(people.users["xihu_dsj_admin"])
    body = client.get(read_url(built["zhao"])).json()
    assert {a["name"] for a in body["attributes"]} == {"resident_id", "name", "birth_date", "gender", "mobile"}
    assert all(a["masked"] for a in body["attributes"] if a["name"] in ("resident_id", "name", "mobile"))
    # Public security contributed Chen, not Zhao (who is only in social insurance's data).
    client.force_login(people.users["ga_officer"])
    assert client.get(read_url(built["chen"])).status_code == 200
    assert client.get(read_url(built["zhao"])).status_code == 404
    # A department that feeds no registry reads nothing; an unknown id is simply not found.
    client.force_login(people.users["ningbo_ga_officer"])
    assert client.get(read_url(built["chen"])).status_code == 403
    client.force_login(people.users["xihu_dsj_admin"])
    assert client.get(read_url("ZJP000000000000")).status_code == 404
    assert client.get(read_url("not-an-id")).status_code == 404


def test_search_queries_do_not_grow_with_the_hits(client, sources, engine, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import person

    shared = "13811112222"
    engine.script(records={
        "hukou:1": person("甲", "330106197712116792", mobile=shared),
        "hukou:2": person("乙", "330106198503020246", mobile=shared),
        "hukou:3": person("丙", "330106196007151352", mobile=shared),
        "shebao:4": person("丁", "330106199205200462", mobile="18600000000"),
    }, clusters=[["hukou:1"], ["hukou:2"], ["hukou:3"], ["shebao:4"]])
    run()
    client.force_login(people.users["xihu_dsj_admin"])

    def queries(mobile):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SEARCH, {"mobile": mobile})
        return len(response.json()["results"]), len(captured)

    one, three = queries("18600000000"), queries(shared)
    assert (one[0], three[0]) == (1, 3)
    assert one[1] == three[1]
