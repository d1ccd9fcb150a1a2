"""My record in the population registry (built for real: loaded through ingest, linked by a run):
shown to me in plain with its sources, correctable at its source department, and every staff
reading of it in my access log."""

import json
import re

import pytest
from django.urls import reverse

from zhengtong.data.exchange.public import subject_ref
from zhengtong.data.mydata.models import CorrectionRequest
from zhengtong.data.registry.public import registry_lookup
from zhengtong.data.registry.selectors import golden_record_read
from zhengtong.kernel.loops.public import case_get

from .conftest import ME, OTHER, ledger

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def sign_in(client, people, name="me"):
    client.force_login(people.users[name], backend="zhengtong.kernel.identity.backends.AccountBackend")


def test_my_registry_record_is_shown_in_plain_and_a_wrong_value_goes_to_its_source(client, people, services,
                                                                                     departments, registry):
    sign_in(client, people)

    page = text(client.get(reverse("mydata:overview")))

    assert f"Registry id {registry}" in page
    ga = departments["330106-GA"].name
    assert f"Address 浙江省杭州市西湖区天目山路8号2幢302室 {ga} 户籍人口基本信息 Verified by the government" in page
    assert f"Resident ID number {ME} {ga}" in page
    assert OTHER not in page and "文三路" not in page

    url = reverse("mydata:correction-new") + "?source=registry&field=address"
    assert "天目山路8号2幢302室" in text(client.get(url))
    client.post(url, {"proposed_value": "浙江省杭州市西湖区学院路28号3幢201室", "reason": "已迁入新址"})

    correction = CorrectionRequest.objects.get()
    assert (correction.target, correction.registry_id, correction.field) == ("registry", registry, "address")
    assert correction.department == departments["330106-GA"]  # the dataset the address came from
    case = case_get(actor=people.actor("ga_officer"), public_id=correction.case_id)
    assert case.assignee_department_id == departments["330106-GA"].id
    # An attribute I do not have cannot be "corrected".
    assert client.get(reverse("mydata:correction-new") + "?source=registry&field=mobile").status_code == 404


def test_a_staff_reading_of_my_registry_record_is_in_my_access_log_and_export(client, people, services,
                                                                              departments, registry):
    golden_record_read(actor=people.actor("ga_officer"), registry_id=registry, via="page")
    other_id = registry_lookup(kind="person", resident_id=OTHER).registry_id
    golden_record_read(actor=people.actor("ga_officer"), registry_id=other_id, via="page")
    sign_in(client, people)

    page = text(client.get(reverse("mydata:access")))

    assert "Base registry read" in page and departments["330106-GA"].name in page
    assert "人口基础库：公民身份号码、姓名" in page
    assert page.count("Base registry read") == 1  # not the other person's

    document = json.loads(client.get(reverse("mydata:export")).content)
    assert document["registry"]["registry_id"] == registry
    values = {a["name"]: a["value"] for a in document["registry"]["attributes"]}
    assert values["resident_id"] == ME and values["name"] == "王芳"
    assert [e["kind"] for e in document["access_log"]] == ["registry.read"]
    assert document["access_log"][0]["department"] == departments["330106-GA"].name
    ((subject, _actor, payload),) = ledger("mydata.export")
    assert subject == subject_ref("person", ME) and payload["registry"] == registry
