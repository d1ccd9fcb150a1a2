"""The catalog pages of the staff workspace."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from zhengtong.data.catalog.models import Dataset, QualityRule, TableSchema

from .conftest import PERSON_SCHEMA

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def no_totp():
    # The second factor is identity's concern, tested there; these pages only need a staff login.
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


def login(client, people, name):
    client.force_login(people.users[name])
    return client


def form_data(departments, **overrides) -> dict:
    data = {
        "owner_department_id": departments["330106-GA"].id, "title": "流动人口登记信息",
        "description": "流动人口的居住登记。", "keywords": "流动人口、居住证", "theme": "SOCI",
        "share_type": "conditional", "open_type": "not_open", "grade": "important", "sensitivity": "L3",
        "update_cycle": "daily", "licence": "CC-BY-4.0",
    }
    data.update(overrides)
    return data


def test_the_list_shows_search_facets_and_results(client, people, make_dataset):
    make_dataset(title="户籍人口基本信息", schema=PERSON_SCHEMA, publish=True)
    make_dataset(title="社会保险参保人员", schema=PERSON_SCHEMA, publish=True)
    html = login(client, people, "binjiang_ga_officer").get(reverse("catalog:dataset-list"), **EN).content.decode()
    assert "2 datasets" in html
    assert "户籍人口基本信息" in html and "330106-GA-00001" in html
    assert 'role="search"' in html
    assert "Daily (2)" in html and "Published (2)" in html
    assert "Register a dataset" in html  # a data officer may register (for their own department)

    html = client.get(reverse("catalog:dataset-list"), {"q": "参保"}, **EN).content.decode()
    assert "1 dataset matches “参保”" in html
    assert "社会保险参保人员" in html and "户籍人口基本信息" not in html

    html = client.get(reverse("catalog:dataset-list"), {"status": "draft"}, **EN).content.decode()
    assert "0 datasets" in html and "No dataset matches." in html
    # A facet value that is selected links to its own removal.
    html = client.get(reverse("catalog:dataset-list"), {"status": "published", "q": "人口"}, **EN).content.decode()
    assert 'href="?q=%E4%BA%BA%E5%8F%A3" aria-current="true"' in html


def test_the_list_is_chinese_by_default(client, people, make_dataset):
    make_dataset(schema=PERSON_SCHEMA, publish=True)
    html = login(client, people, "xihu_ga_caseworker").get(reverse("catalog:dataset-list")).content.decode()
    assert "数据资源目录" in html and "登记数据资源" not in html  # a caseworker registers nothing


def test_list_query_count_does_not_grow_with_rows(client, people, make_dataset, django_assert_max_num_queries):
    login(client, people, "xihu_ga_officer")
    for number in range(2):
        make_dataset(title=f"数据集{number}")
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse("catalog:dataset-list"), {"q": "数据集"}).status_code == 200
    for number in range(2, 22):
        make_dataset(title=f"数据集{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("catalog:dataset-list"), {"q": "数据集"})
    assert len(re.findall(r'href="/workspace/catalog/[0-9a-f-]{36}/"', page.content.decode())) == 22


def test_the_list_is_paginated(client, people, make_dataset):
    for number in range(26):
        make_dataset(title=f"数据集{number:02d}")
    login(client, people, "xihu_ga_officer")
    first = client.get(reverse("catalog:dataset-list")).content.decode()
    second = client.get(reverse("catalog:dataset-list"), {"page": 2}).content.decode()
    assert "数据集00" in first and "数据集25" not in first
    assert "数据集25" in second and "数据集00" not in second


def test_citizens_and_anonymous_visitors_are_sent_to_the_staff_login(client, people):
    assert client.get(reverse("catalog:dataset-list")).status_code == 302
    response = login(client, people, "citizen").get(reverse("catalog:dataset-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:staff-login"))


def test_registering_through_the_form(client, people, departments):
    login(client, people, "xihu_ga_officer")
    page = client.get(reverse("catalog:dataset-create"), **EN).content.decode()
    # The officer can only register for their own department.
    select = re.search(r'<select name="owner_department_id".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"', select) == ["", str(departments["330106-GA"].id)]
    response = client.post(reverse("catalog:dataset-create"), form_data(departments))
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:dataset-detail", kwargs={"public_id": dataset.public_id})
    assert (dataset.resource_code, dataset.keywords) == ("330106-GA-00001", ["流动人口", "居住证"])


def test_a_refused_registration_explains_itself_and_saves_nothing(client, people, departments):
    login(client, people, "xihu_ga_officer")
    response = client.post(reverse("catalog:dataset-create"),
                           form_data(departments, sensitivity="L4", grade="general", open_type="conditional"), **EN)
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert html.count("An L4 (sensitive) dataset is never opened: its open type must be “Not open”.") == 2  # summary, field
    # Another department is not a choice for this officer.
    response = client.post(reverse("catalog:dataset-create"),
                           form_data(departments, owner_department_id=departments["330108-GA"].id), **EN)
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    assert not Dataset.objects.exists()


def test_only_registrars_open_the_registration_page(client, people):
    assert login(client, people, "xihu_ga_caseworker").get(reverse("catalog:dataset-create")).status_code == 403


def test_the_detail_page(client, people, make_dataset):
    dataset = make_dataset(schema=PERSON_SCHEMA)
    url = reverse("catalog:dataset-detail", kwargs={"public_id": dataset.public_id})
    html = login(client, people, "xihu_ga_officer").get(url, **EN).content.decode()
    assert "户籍人口基本信息" in html and "330106-GA-00001" in html
    assert "<code>id_number</code>" in html and "公民身份号码" in html and "%Y年%m月%d日" in html
    assert "Primary key: id_number." in html
    assert "<code>enum</code>: [&quot;男&quot;, &quot;女&quot;]" in html and "<code>required</code>: true" in html
    assert "<code>resident_id:id_number</code>" in html  # a rule the schema implies
    assert f"/api/v1/catalog/datasets/{dataset.public_id}/dcat?format=ttl" in html
    assert f"/api/v1/catalog/datasets/{dataset.public_id}/datapackage.json" in html
    assert "Publish in the catalog" in html and "Edit the catalog entry" in html
    try:
        loads = reverse("ingest:dataset-loads", kwargs={"public_id": dataset.public_id})
    except NoReverseMatch:  # the ingest pages are not mounted (yet): no link, and no error
        assert "Data loads of this dataset" not in html
    else:
        assert f'href="{loads}"' in html

    # Staff of another department do not see a draft at all; once published they see it, read only.
    binjiang = login(client, people, "binjiang_ga_officer")
    assert binjiang.get(url).status_code == 404
    client.force_login(people.users["xihu_ga_officer"])
    assert client.post(reverse("catalog:dataset-publish", kwargs={"public_id": dataset.public_id})).status_code == 302
    html = login(client, people, "binjiang_ga_officer").get(url, **EN).content.decode()
    assert "户籍人口基本信息" in html and "Edit the catalog entry" not in html
    assert client.get(reverse("catalog:dataset-edit", kwargs={"public_id": dataset.public_id})).status_code == 403


def test_editing_the_entry(client, people, make_dataset):
    dataset = make_dataset()
    url = reverse("catalog:dataset-edit", kwargs={"public_id": dataset.public_id})
    login(client, people, "xihu_ga_officer")
    page = client.get(url).content.decode()
    assert 'value="户籍、人口"' in page
    data = {
        "title": "户籍人口信息", "description": dataset.description, "keywords": "户籍", "theme": "SOCI",
        "share_type": "conditional", "open_type": "not_open", "grade": "important", "sensitivity": "L2",
        "update_cycle": "weekly", "licence": "CC-BY-4.0",
    }
    response = client.post(url, data, **EN)
    assert response.status_code == 400
    assert "Important data (GB/T 43697) is at least fairly sensitive: its level must be L3 or L4." in response.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).title == "户籍人口基本信息"
    response = client.post(url, {**data, "sensitivity": "L3"})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.title, dataset.update_cycle, dataset.keywords) == ("户籍人口信息", "weekly", ["户籍"])


def test_the_schema_editor(client, people, make_dataset):
    dataset = make_dataset()
    url = reverse("catalog:schema-edit", kwargs={"public_id": dataset.public_id})
    login(client, people, "xihu_ga_officer")
    assert "&quot;id_number&quot;" in client.get(url).content.decode()  # a starting example

    response = client.post(url, {"descriptor": '{"fields": [}'}, **EN)
    assert response.status_code == 400
    assert "The schema is not valid JSON: line 1, column 13: Expecting value." in response.content.decode()

    bad = {"fields": [{"name": "ID"}, {"name": "age", "type": "integer", "constraints": {"minimum": 9, "maximum": 1}}]}
    response = client.post(url, {"descriptor": json.dumps(bad)}, **EN)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Field 1 (ID): the name must start with a lower-case letter" in html
    assert "Field 2 (age): the minimum 9 is greater than the maximum 1." in html
    assert html.count('href="#id_descriptor"') == 2  # each problem links to the editor
    assert not TableSchema.objects.exists()

    response = client.post(url, {"descriptor": json.dumps(PERSON_SCHEMA, ensure_ascii=False)})
    assert response.status_code == 302
    assert TableSchema.objects.get().descriptor == PERSON_SCHEMA


def test_the_rules_page(client, people, make_dataset):
    dataset = make_dataset(schema=PERSON_SCHEMA, publish=True)
    url = reverse("catalog:rule-create", kwargs={"public_id": dataset.public_id})
    login(client, people, "xihu_ga_officer")
    response = client.post(url, {"code": "gender", "kind": "enum", "field": "gender", "params": '{"values": []}'}, **EN)
    assert response.status_code == 400
    assert "An enum rule needs “values”, a non-empty list of the allowed values." in response.content.decode()
    response = client.post(url, {"code": "gender", "kind": "enum", "field": "gender", "params": "{values}"}, **EN)
    assert ("The parameters are not valid JSON: line 1, column 2: Expecting property name enclosed in double quotes."
            in response.content.decode())
    assert not QualityRule.objects.exists()

    response = client.post(url, {"code": "gender", "kind": "enum", "field": "gender",
                                 "params": '{"values": ["男", "女"]}', "description": "性别代码"})
    assert response.status_code == 302
    html = client.get(url, **EN).content.decode()
    assert "<code>gender</code>" in html and "性别代码" in html and "Deactivate" in html
    response = client.post(reverse("catalog:rule-deactivate", kwargs={"public_id": dataset.public_id, "code": "gender"}))
    assert response.status_code == 302
    assert QualityRule.objects.get().is_active is False

    # Others read the rules but get no form, and may not post.
    other = login(client, people, "xihu_mz_officer")
    assert "Add a rule" not in other.get(url, **EN).content.decode()
    assert other.post(url, {"code": "x", "kind": "timeliness"}).status_code == 403


def test_publishing_without_schema_shows_why(client, people, make_dataset):
    dataset = make_dataset()
    login(client, people, "xihu_ga_officer")
    response = client.post(reverse("catalog:dataset-publish", kwargs={"public_id": dataset.public_id}), follow=True, **EN)
    assert "Give the dataset a table schema before publishing it" in response.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).status == "draft"


def test_retiring(client, people, make_dataset):
    dataset = make_dataset(schema=PERSON_SCHEMA, publish=True)
    login(client, people, "xihu_ga_officer")
    response = client.post(reverse("catalog:dataset-retire", kwargs={"public_id": dataset.public_id}),
                           {"reason": "已由人口综合库替代"}, follow=True, **EN)
    html = response.content.decode()
    assert "The dataset has been retired from the catalog." in html and "已由人口综合库替代" in html
    assert "Edit the catalog entry" not in html
    assert Dataset.objects.get(pk=dataset.pk).status == "retired"
