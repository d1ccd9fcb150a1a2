"""Catalog writes: registration, metadata, publication, retirement; who may make them; invariants."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.search.models import SearchDocument
from zhengtong.data.catalog import public, services
from zhengtong.data.catalog.models import ChangeAction, Dataset, DatasetChange

from .conftest import PERSON_SCHEMA, base_fields

pytestmark = pytest.mark.django_db


def events() -> list[str]:
    return list(OutboxEvent.objects.order_by("occurred_at").values_list("name", flat=True))


def test_a_data_officer_registers_a_draft_with_a_generated_code(make_dataset, departments):
    first = make_dataset()
    second = make_dataset(title="流动人口信息")
    assert (first.resource_code, second.resource_code) == ("330106-GA-00001", "330106-GA-00002")
    assert first.status == "draft" and first.published_at is None
    assert first.owner_department == departments["330106-GA"]
    assert first.spatial.code == "330106"  # the department's own area, when none is given
    assert first.keywords == ["户籍", "人口"]
    change = DatasetChange.objects.get(dataset=first)
    assert (change.action, change.actor_kind, change.actor_department_id, change.changes) == (
        ChangeAction.CREATED, "staff", departments["330106-GA"].id, {"resource_code": "330106-GA-00001"},
    )
    assert events() == ["catalog.dataset_created", "catalog.dataset_created"]
    document = SearchDocument.objects.get(kind="dataset", key="330106-GA-00001")
    assert (document.title, document.visibility, document.department_id) == (
        "户籍人口基本信息", "department", departments["330106-GA"].id,
    )


def test_a_chosen_code_is_kept_and_the_generator_skips_it(make_dataset, snapshot, people, departments):
    chosen = make_dataset(resource_code=" 330106-ga-00002 ")
    assert chosen.resource_code == "330106-GA-00002"
    assert make_dataset().resource_code == "330106-GA-00001"
    assert make_dataset().resource_code == "330106-GA-00003"

    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.dataset_create(actor=people.actor("xihu_ga_officer"),
                                **base_fields(departments, resource_code="330106-GA-00003"))
    assert error.value.message_dict == {"resource_code": ["The resource code 330106-GA-00003 is already in the catalog."]}
    with pytest.raises(ValidationError) as error:
        services.dataset_create(actor=people.actor("xihu_ga_officer"), **base_fields(departments, resource_code="西湖/1"))
    assert error.value.message_dict == {"resource_code": [
        "A resource code holds capital letters and digits in groups joined by “-”, at most 64 characters, "
        "such as 330106-GA-00001."
    ]}
    assert snapshot() == before


@pytest.mark.parametrize("name, department", [
    ("xihu_ga_caseworker", "330106-GA"),  # the right department, but not a data officer
    ("binjiang_ga_officer", "330106-GA"),  # a data officer of another department
    ("xihu_mz_officer", "330106-GA"),
    ("citizen", "330106-GA"),
])
def test_only_the_departments_data_officers_register_for_it(name, department, people, departments, snapshot):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.dataset_create(actor=people.actor(name),
                                **base_fields(departments, owner_department_id=departments[department].id))
    assert snapshot() == before


@pytest.mark.parametrize("name", ["province_dsj_admin", "hangzhou_dsj_admin", "root"])
def test_the_bureau_registers_for_the_departments_of_its_division(name, make_dataset, departments):
    dataset = make_dataset(name, owner_department_id=departments["330108-GA"].id)
    assert dataset.resource_code == "330108-GA-00001"


def test_a_city_bureau_may_not_register_for_another_city(make_dataset, departments, snapshot):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        make_dataset("ningbo_dsj_admin", owner_department_id=departments["330108-GA"].id)
    assert snapshot() == before
    assert make_dataset("ningbo_dsj_admin", owner_department_id=departments["330203-GA"].id).resource_code == (
        "330203-GA-00001"
    )


# Each invariant, with the field it is reported on and its message.
L4_OPEN = "An L4 (sensitive) dataset is never opened: its open type must be “Not open”."
L2_L3_OPEN = ("An L2 or L3 dataset is opened only on application, with approval, the subjects' consent and masking: "
              "its open type must be “Open on application” or “Not open”.")
NOT_SHARED_OPEN = ("A dataset that is not shared between departments cannot be opened to the public: its open type "
                   "must be “Not open”.")
CORE_L4 = "Core data (GB/T 43697) is sensitive: its level must be L4."
IMPORTANT_L3 = "Important data (GB/T 43697) is at least fairly sensitive: its level must be L3 or L4."


@pytest.mark.parametrize("fields, errors", [
    ({"grade": "general", "sensitivity": "L4", "open_type": "open", "share_type": "conditional"}, {"open_type": [L4_OPEN]}),
    ({"grade": "general", "sensitivity": "L4", "open_type": "conditional"}, {"open_type": [L4_OPEN]}),
    ({"grade": "general", "sensitivity": "L2", "open_type": "open"}, {"open_type": [L2_L3_OPEN]}),
    ({"grade": "general", "sensitivity": "L3", "open_type": "open"}, {"open_type": [L2_L3_OPEN]}),
    ({"grade": "general", "sensitivity": "L1", "open_type": "conditional", "share_type": "not_shared"},
     {"open_type": [NOT_SHARED_OPEN]}),
    ({"grade": "core", "sensitivity": "L3", "open_type": "not_open"}, {"sensitivity": [CORE_L4]}),
    ({"grade": "important", "sensitivity": "L2", "open_type": "not_open"}, {"sensitivity": [IMPORTANT_L3]}),
    ({"grade": "core", "sensitivity": "L1", "open_type": "open"}, {"sensitivity": [CORE_L4]}),
])
def test_classification_invariants_refuse_registration(fields, errors, people, departments, snapshot):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.dataset_create(actor=people.actor("xihu_ga_officer"), **base_fields(departments, **fields))
    assert error.value.message_dict == errors
    assert snapshot() == before


@pytest.mark.parametrize("fields", [
    {"grade": "general", "sensitivity": "L1", "open_type": "open", "share_type": "unconditional"},
    {"grade": "general", "sensitivity": "L2", "open_type": "conditional", "share_type": "conditional"},
    {"grade": "important", "sensitivity": "L3", "open_type": "conditional", "share_type": "conditional"},
    {"grade": "core", "sensitivity": "L4", "open_type": "not_open", "share_type": "not_shared"},
])
def test_allowed_classifications(fields, make_dataset):
    dataset = make_dataset(**fields)
    assert (dataset.grade, dataset.sensitivity, dataset.open_type, dataset.share_type) == (
        fields["grade"], fields["sensitivity"], fields["open_type"], fields["share_type"],
    )


def test_metadata_errors_are_reported_per_field(people, departments, snapshot):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.dataset_create(actor=people.actor("xihu_ga_officer"), **base_fields(
            departments, title="  ", contact_email="not-an-address", contact_phone="call me", theme="XXXX",
            spatial_code="999999", temporal_start=date(2024, 1, 1), temporal_end=date(2023, 12, 31), keywords=[f"词{i}" for i in range(21)],
            update_cycle="hourly",
        ))
    assert error.value.message_dict == {
        "title": ["Give the dataset a title."],
        "contact_email": ["Enter an e-mail address such as data@example.gov.cn."],
        "contact_phone": ["Enter a telephone number of digits, such as 0571-87654321."],
        "keywords": ["At most 20 keywords."],
        "theme": ["“XXXX” is not a data theme."],
        "spatial_code": ["There is no division with the code “999999”."],
        "temporal_end": ["The coverage cannot end before it starts."],
        "update_cycle": ["“hourly” is not an update cycle."],
    }
    assert snapshot() == before


def test_messages_are_chinese_by_default(people, departments):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        services.dataset_create(actor=people.actor("xihu_ga_officer"),
                                **base_fields(departments, sensitivity="L4", open_type="open"))
    assert error.value.message_dict == {"open_type": ["L4（敏感）级数据一律不开放：开放类型必须为“不予开放”。"]}


def test_keywords_from_text_are_split_and_deduplicated(make_dataset):
    dataset = make_dataset(keywords="户籍、人口, 人口；常住人口")
    assert dataset.keywords == ["户籍", "人口", "常住人口"]


def test_update_records_only_what_changed(make_dataset, people, committed, departments):
    dataset = make_dataset()
    officer = people.actor("xihu_ga_officer")
    committed(services.dataset_update, actor=officer, dataset=dataset, title="户籍人口信息", spatial_code="330106004",
              keywords=["户籍"])
    dataset.refresh_from_db()
    assert (dataset.title, dataset.spatial.code, dataset.keywords) == ("户籍人口信息", "330106004", ["户籍"])
    change = DatasetChange.objects.filter(dataset=dataset, action=ChangeAction.UPDATED).get()
    assert change.changes == {
        "title": ["户籍人口基本信息", "户籍人口信息"],
        "spatial": ["330106", "330106004"],
        "keywords": [["户籍", "人口"], ["户籍"]],
    }
    assert SearchDocument.objects.get(key=dataset.resource_code).title == "户籍人口信息"

    # The same values again: nothing is written.
    count = DatasetChange.objects.count(), OutboxEvent.objects.count()
    services.dataset_update(actor=officer, dataset=dataset, title="户籍人口信息")
    assert (DatasetChange.objects.count(), OutboxEvent.objects.count()) == count

    with pytest.raises(TypeError):
        services.dataset_update(actor=officer, dataset=dataset, resource_code="330106-GA-09999")


def test_update_checks_the_invariants_on_the_result(make_dataset, people, snapshot):
    dataset = make_dataset(grade="general", sensitivity="L1", open_type="open", share_type="unconditional")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.dataset_update(actor=people.actor("xihu_ga_officer"), dataset=dataset, sensitivity="L4")
    assert error.value.message_dict == {"open_type": [L4_OPEN]}
    with pytest.raises(ValidationError) as error:
        services.dataset_update(actor=people.actor("xihu_ga_officer"), dataset=dataset, share_type="not_shared")
    assert error.value.message_dict == {"open_type": [NOT_SHARED_OPEN]}
    assert snapshot() == before


@pytest.mark.parametrize("name, allowed", [
    ("xihu_ga_officer", True), ("province_dsj_admin", True), ("hangzhou_dsj_admin", True), ("root", True),
    ("ningbo_dsj_admin", False), ("xihu_ga_caseworker", False), ("xihu_mz_officer", False), ("binjiang_ga_officer", False), ("citizen", False),
])
def test_who_may_edit(name, allowed, make_dataset, people, snapshot):
    dataset = make_dataset()
    before = snapshot()
    if allowed:
        services.dataset_update(actor=people.actor(name), dataset=dataset, contact_name="数据管理科")
        assert Dataset.objects.get(pk=dataset.pk).contact_name == "数据管理科"
    else:
        with pytest.raises(PermissionDenied):
            services.dataset_update(actor=people.actor(name), dataset=dataset, contact_name="数据管理科")
        assert snapshot() == before


def test_publication_needs_a_schema_and_makes_the_entry_visible_to_all_staff(make_dataset, people, committed, snapshot):
    dataset = make_dataset()
    officer = people.actor("xihu_ga_officer")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.dataset_publish(actor=officer, dataset=dataset)
    assert error.value.messages == [
        "Give the dataset a table schema before publishing it: loads and users need to know its fields."
    ]
    assert snapshot() == before

    committed(services.schema_version_create, actor=officer, dataset=dataset, descriptor=PERSON_SCHEMA)
    published = committed(services.dataset_publish, actor=officer, dataset=dataset)
    assert published.status == "published" and published.published_at is not None
    assert SearchDocument.objects.get(key=dataset.resource_code).visibility == "staff"
    with pytest.raises(ValidationError) as error:
        services.dataset_publish(actor=officer, dataset=dataset)
    assert error.value.messages == ["The dataset is already published."]
    assert events()[-2:] == ["catalog.schema_version_created", "catalog.dataset_published"]


def test_a_retired_dataset_is_frozen(make_dataset, people, snapshot):
    dataset = make_dataset(schema=PERSON_SCHEMA, publish=True)
    officer = people.actor("xihu_ga_officer")
    services.dataset_retire(actor=officer, dataset=dataset, reason="由人口综合库替代")
    change = DatasetChange.objects.filter(dataset=dataset).order_by("-id").first()
    assert (change.action, change.changes) == (
        ChangeAction.RETIRED, {"status": ["published", "retired"], "reason": "由人口综合库替代"},
    )
    before = snapshot()
    message = ["The dataset has been retired; its catalog entry can no longer change."]
    for call, kwargs in (
        (services.dataset_update, {"title": "新标题"}),
        (services.dataset_retire, {}),
        (services.schema_version_create, {"descriptor": {"fields": [{"name": "a"}]}}),
        (services.rule_create, {"code": "r1", "kind": "timeliness"}),
    ):
        with pytest.raises(ValidationError) as error:
            call(actor=officer, dataset=dataset, **kwargs)
        assert error.value.messages == message
    assert snapshot() == before


def test_the_platform_itself_may_register(departments):
    dataset = services.dataset_create(actor=Actor(kind="system"), **base_fields(departments))
    change = DatasetChange.objects.get(dataset=dataset)
    assert (change.actor_kind, change.actor_user_id, change.actor_department_id) == ("system", None, None)


def test_the_search_index_can_be_rebuilt(make_dataset):
    make_dataset()
    make_dataset(title="流动人口信息")
    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("catalog_reindex", stdout=out)
    assert out.getvalue() == "Indexed 2 datasets.\n"
    assert sorted(SearchDocument.objects.values_list("key", "title")) == [
        ("330106-GA-00001", "户籍人口基本信息"), ("330106-GA-00002", "流动人口信息"),
    ]


def test_the_public_write_functions_return_references(people, departments):
    officer = people.actor("xihu_ga_officer")
    ref = public.dataset_create(actor=officer, **base_fields(departments))
    assert (ref.resource_code, ref.status, ref.owner_department_id) == (
        "330106-GA-00001", "draft", departments["330106-GA"].id)
    spec = public.schema_version_create(actor=officer, resource_code=ref.resource_code, descriptor=PERSON_SCHEMA)
    assert (spec.version, spec.primary_key) == (1, ("id_number",))
    rule = public.rule_create(actor=officer, resource_code=ref.resource_code, code="fresh", kind="timeliness")
    assert (rule.code, rule.kind, rule.derived) == ("fresh", "timeliness", False)
    assert public.dataset_publish(actor=officer, resource_code=ref.resource_code).status == "published"
