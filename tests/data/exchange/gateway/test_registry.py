"""Registry services: golden records read live through the gateway, keyed by registry id."""

import pytest
from django.urls import reverse

from tests.data.registry.conftest import engine, person, run, runs_dir, sources  # noqa: F401 (fixtures)
from zhengtong.data.exchange.models import ServiceKind, ShareCall, SharingService
from zhengtong.data.registry.models import MasterRecord, SourceRecord
from zhengtong.data.registry.services import record_index

from .conftest import grant_make, ledger, ref

pytestmark = pytest.mark.django_db

CHEN_ID = "330106197712116792"
A, B, C = f"hukou:{CHEN_ID}", f"shebao:{CHEN_ID}", "hukou:330108198503020246"
PERSON_FIELDS = [("resident_id", "resident_id"), ("name", "name"), ("birth_date", "plain"), ("gender", "plain"),
                 ("mobile", "mobile"), ("address", "address"), ("division_code", "plain")]


@pytest.fixture
def registry(departments):
    return SharingService.objects.create(
        code="registry-person", kind=ServiceKind.REGISTRY, registry_kind="person", name="人口综合库",
        owner_department=departments["330000-DSJ"], share_type="conditional", key_field="registry_id",
        subject_field="resident_id", subject_kind="person", division_field="division_code",
        fields=[{"name": n, "title": n, "type": "string", "masking_kind": m} for n, m in PERSON_FIELDS],
    )


def master_of(record_id: str) -> MasterRecord:
    return SourceRecord.objects.get(record_index=record_index(record_id)).master


@pytest.fixture
def masters(sources, engine):  # noqa: F811
    engine.script(records={
        A: person("陈梅", CHEN_ID, address="浙江省杭州市西湖区文三路90号1幢101室", division_code="330106"),
        B: person("陈梅", CHEN_ID, mobile="15900002222", division_code="330106"),
        C: person("王芳", "330108198503020246", birth="1985-03-02", division_code="330108"),
    }, clusters=[[A], [B], [C]])
    run()
    return engine


def url(key: str) -> str:
    return reverse("share-record", kwargs={"service": "registry-person", "key": key})


def test_a_golden_record_is_read_by_registry_id_masked_and_logged_for_its_person(masters, registry, rs):
    grant = grant_make(rs, registry, fields=["resident_id", "name", "birth_date", "mobile"])
    chen = master_of(A).registry_id
    response = rs.api().get(url(chen))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "key": chen,
        "values": {"resident_id": "3***************92", "name": "陈*", "birth_date": "1977-12-11", "mobile": None},
        "masked": ["resident_id", "name"],
    }
    ((subject, actor, payload),) = ledger("share.call")
    assert (subject, payload["registry_id"], payload["grant"], payload["service"]) == (
        ref(CHEN_ID), chen, str(grant.public_id), "registry-person")
    call = ShareCall.objects.get()
    assert (call.subject_ref, call.record_count) == (ref(CHEN_ID), 1)


def test_a_merged_id_gives_the_survivor_s_record(masters, registry, rs):
    grant_make(rs, registry, fields=["name", "mobile"], clear=["mobile"])
    gone = master_of(B).registry_id
    masters.script(records=masters.records, clusters=[[A, B], [C]])
    run()
    survivor = master_of(A).registry_id
    assert survivor != gone
    body = rs.api().get(url(gone), {"plain": "mobile"}).json()
    assert body == {"key": survivor, "values": {"name": "陈*", "mobile": "15900002222"}, "masked": ["name"]}
    assert ledger("share.call")[0][2]["registry_id"] == survivor


def test_registry_batches_and_unknown_ids(masters, registry, rs):
    grant_make(rs, registry, fields=["name"])
    chen, wang = master_of(A).registry_id, master_of(C).registry_id
    body = rs.api().post(reverse("share-batch", kwargs={"service": "registry-person"}),
                         {"keys": [wang, "ZJP000000000000", chen, "nonsense"]}, format="json").json()
    assert body["status"] == ["ok", "unknown_key", "ok", "unknown_key"]
    assert body["results"][0] == {"key": wang, "values": {"name": "王*"}, "masked": ["name"]}
    assert body["results"][2] == {"key": chen, "values": {"name": "陈*"}, "masked": ["name"]}
    assert [s for s, _a, _p in ledger("share.call")] == [ref("330108198503020246"), ref(CHEN_ID)]


def test_a_registry_record_without_a_division_is_outside_every_row_scope(masters, registry, rs):
    # These sources map no division code, so no golden record has one.
    grant_make(rs, registry, fields=["name"], row_scope="330106")
    response = rs.api().get(url(master_of(A).registry_id))
    assert (response.status_code, response.json()["code"]) == (403, "out_of_scope")


def test_registry_services_offer_no_queries_or_aggregates(masters, registry, rs):
    grant_make(rs, registry, fields=["name"])
    response = rs.api().get(reverse("share-query", kwargs={"service": "registry-person"}))
    assert (response.status_code, response.json()["code"]) == (400, "operation_not_supported")
    response = rs.api().get(reverse("share-aggregate", kwargs={"service": "registry-person"}), {"op": "count"})
    assert (response.status_code, response.json()["code"]) == (400, "operation_not_supported")


def test_the_registry_api_sends_systems_to_the_gateway(masters, registry, rs):
    grant_make(rs, registry, fields=["name"])
    chen = master_of(A).registry_id
    response = rs.api().get(reverse("registry-record", kwargs={"kind": "person", "registry_id": chen}))
    assert response.status_code == 403
    assert "/api/v1/share/registry-person/records/{registry_id}" in response.json()["detail"]
    assert ledger("registry.read") == []
