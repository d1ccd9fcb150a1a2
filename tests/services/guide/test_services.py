"""The guide's write services: who may keep what, every element checked with a specific message,
and a refused call changes nothing."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.services.conftest import events_deliver_all
from tests.services.guide.conftest import SYSTEM, guide_state, implementation_data, item_data, materials_data
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.search.public import search
from zhengtong.services.guide import services
from zhengtong.services.guide.models import ItemImplementation, Material, ServiceItem
from zhengtong.services.guide.public import implementation_for


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def item(guide_people):
    return services.item_create(actor=guide_people.actor("zj_bgt_case"), data=item_data())


@pytest.fixture
def draft(guide_people, item):
    return services.implementation_create(actor=guide_people.actor("rs_case"), item_code=item.code,
                                          division_code="330106", data=implementation_data(),
                                          materials=materials_data())


def refused(call, **kwargs) -> dict[str, list[str]]:
    """The messages by element of a refused call, after checking it changed nothing."""
    before = guide_state()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert guide_state() == before
    return caught.value.message_dict


def ledger(kind: str, subject: str) -> list[dict]:
    return [json.loads(leaf.body) for leaf in LedgerLeaf.objects.filter(kind=kind, subject=subject).order_by("id")]


# --- catalogue entries -----------------------------------------------------------------------------


def test_the_province_general_office_adds_an_item_with_a_ledger_entry(guide_people):
    item = services.item_create(actor=guide_people.actor("zj_bgt_case"), data=item_data(code="330000-rs-0101 "))
    item.refresh_from_db()
    assert (item.code, item.name, item.item_type, item.competent_department_kind, item.serving, item.theme) == (
        "330000-RS-0101", "职业技能培训补贴申领", "benefit", "human_resources", "citizen", "就业创业")
    assert item.keywords == ["培训补贴", "技能提升"] and item.parent is None and item.handling_kind == "new"
    (entry,) = ledger("guide.item.created", "330000-RS-0101")
    assert entry["payload"] == {"item": "330000-RS-0101", "name": "职业技能培训补贴申领", "type": "benefit"}
    # Not applied for anywhere yet: not in the search.
    assert search(query="培训补贴", kinds=["service_item"]).total == 0


@pytest.mark.parametrize(("overrides", "key", "message"), [
    ({"code": "330000 RS"}, "code", "The item code “330000 RS” may hold only capital letters, digits and hyphens "
                                    "(2 to 64 characters, starting with a letter or digit)"),
    ({"code": ""}, "code", "Enter the item code"),
    ({"name": "  "}, "name", "Enter the item name"),
    ({"name": "办" * 201}, "name", "The item name has 201 characters; at most 200"),
    ({"item_type": "permit"}, "item_type", "“permit” is not an item type; one of licensing, confirmation, "
                                           "adjudication, benefit, reward, filing, other_power, public_service"),
    ({"basis": ""}, "basis", "Enter the legal basis (设定和实施依据): the laws and regulations that set the item"),
    ({"handling_kind": "renew"}, "handling_kind",
     "“renew” is not a handling kind; one of new, change, renewal, cancellation, other"),
    ({"serving": "everyone"}, "serving", "“everyone” is not who may apply; one of citizen, company, both"),
    ({"theme": "主" * 65}, "theme", "The theme has 65 characters; at most 64"),
    ({"keywords": ["补" * 33]}, "keywords", f"The keyword “{'补' * 33}” is longer than 32 characters"),
    ({"parent": "330000-RS-9999"}, "parent", "There is no item with the code 330000-RS-9999 to be the parent"),
    ({"colour": "red"}, "colour", "“colour” is not an element of a catalogue entry"),
])
def test_a_catalogue_entry_with_a_bad_element_is_refused(guide_people, overrides, key, message):
    errors = refused(services.item_create, actor=guide_people.actor("zj_bgt_case"), data=item_data(**overrides))
    assert errors == {key: [message]}


def test_a_duplicate_code_and_an_unknown_kind_are_refused_together(guide_people, item):
    errors = refused(services.item_create, actor=guide_people.actor("zj_bgt_case"),
                     data=item_data(competent_department_kind="police"))
    assert errors["code"] == ["There is already an item with the code 330000-RS-0101"]
    assert errors["competent_department_kind"][0].startswith("“police” is not a kind of department; one of")


@pytest.mark.parametrize(("name", "kind", "allowed"), [
    ("zj_bgt_case", "market_regulation", True),  # the province's general office: the whole catalogue
    ("zj_dsj_admin", "market_regulation", True),  # the province's big-data administrators too
    ("zj_rs_case", "human_resources", True),  # the province department in charge of the item
    ("zj_rs_case", "market_regulation", False),  # … but not another department's items
    ("rs_case", "human_resources", False),  # a county department keeps lists, not the catalogue
    ("hz_dsj_admin", "human_resources", False),  # a city's big-data bureau neither
    ("citizen_a", "human_resources", False),
])
def test_who_keeps_the_catalogue(guide_people, name, kind, allowed):
    actor = guide_people.actor(name)
    data = item_data(competent_department_kind=kind)
    if allowed:
        assert services.item_create(actor=actor, data=data).competent_department_kind == kind
    else:
        before = guide_state()
        with pytest.raises(PermissionDenied):
            services.item_create(actor=actor, data=data)
        assert guide_state() == before


def test_an_item_code_never_changes_and_a_parent_cannot_be_a_descendant(guide_people, item):
    zj = guide_people.actor("zj_bgt_case")
    child = services.item_create(actor=zj, data=item_data(code="330000-RS-0102", parent=item.code))
    assert child.parent_id == item.id
    assert refused(services.item_update, actor=zj, code=item.code, data={"code": "330000-RS-0999"}) == {
        "code": ["An item's code cannot change (it is 330000-RS-0101); create a new item instead"]}
    assert refused(services.item_update, actor=zj, code=item.code, data={"parent": child.code}) == {
        "parent": ["330000-RS-0102 is this item or one of its sub-items: it cannot be the parent"]}


def test_the_competent_department_changes_only_by_the_province_coordinators(guide_people, item):
    before = guide_state()
    with pytest.raises(PermissionDenied):
        services.item_update(actor=guide_people.actor("zj_rs_case"), code=item.code,
                             data={"competent_department_kind": "civil_affairs"})
    assert guide_state() == before
    services.item_update(actor=guide_people.actor("zj_rs_case"), code=item.code, data={"name": "职业培训补贴申领"})
    assert ServiceItem.objects.get(code=item.code).name == "职业培训补贴申领"


def test_an_item_with_implementation_lists_cannot_get_sub_items_nor_a_parent_item_lists(guide_people, item, draft):
    zj = guide_people.actor("zj_bgt_case")
    assert refused(services.item_create, actor=zj, data=item_data(code="330000-RS-0102", parent=item.code)) == {
        "parent": ["330000-RS-0101 has implementation lists, so it is applied for itself and cannot have sub-items"]}
    parent = services.item_create(actor=zj, data=item_data(code="330000-RS-0100", name="职业培训"))
    services.item_create(actor=zj, data=item_data(code="330000-RS-0103", parent=parent.code))
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code=parent.code,
                     division_code="330106", data=implementation_data())
    assert errors == {"item": ["330000-RS-0100 has sub-items: an implementation list is made for a sub-item (办理项)"]}


# --- implementation lists --------------------------------------------------------------------------


def test_a_department_officer_drafts_its_list(guide_people, item):
    implementation = services.implementation_create(
        actor=guide_people.actor("rs_case"), item_code=item.code, division_code="330106",
        data=implementation_data(fees=[{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"}]),
        materials=materials_data())
    implementation.refresh_from_db()
    assert (implementation.status, implementation.department.code, implementation.division.code) == (
        "draft", "330106-RS", "330106")
    assert (implementation.legal_days, implementation.promised_days, implementation.visits, implementation.process) == (
        20, 5, 0, "standard")
    assert implementation.fees == [{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"}]
    assert implementation.form_fields == implementation_data()["form_fields"]
    assert [(m.code, m.source, m.source_ref, m.accepted_types, m.position) for m in
            implementation.materials.order_by("position")] == [
        ("certificate", "licence", "vocational_certificate", [], 1),
        ("shebao", "shared", "ds-330106-rs-00001", [], 2),
        ("invoice", "upload", "", ["pdf", "jpg"], 3)]
    (entry,) = ledger("guide.implementation.created", str(implementation.public_id))
    assert entry["payload"] == {"item": item.code, "division": "330106", "department": "330106-RS"}
    # A draft serves nobody.
    assert implementation_for(item_code=item.code, division_code="330106") is None


MATERIAL = materials_data()[2]


@pytest.mark.parametrize(("overrides", "key", "message"), [
    ({"promised_days": 30}, "promised_days",
     "The promised time limit (30 working days) is longer than the statutory time limit (20 working days)"),
    ({"legal_days": "五天"}, "legal_days", "The statutory time limit must be a whole number of working days, not “五天”"),
    ({"legal_days": 20.5}, "legal_days", "The statutory time limit must be a whole number of working days, not “20.5”"),
    ({"promised_days": -1}, "promised_days",
     "The promised time limit must be between 0 and 365 working days, not -1"),
    ({"fees": [{"name": "工本费", "amount_fen": 10.5, "basis": ""}]}, "fees",
     "Fee 1: the amount is a whole number of fen (分), not “10.5”"),
    ({"fees": [{"name": "工本费", "amount_fen": -100, "basis": ""}]}, "fees", "Fee 1: the amount cannot be negative"),
    ({"fees": [{"name": "", "amount_fen": 100, "basis": ""}]}, "fees", "Fee 1: enter its name"),
    ({"process": "standrad"}, "process",
     "There is no process called “standrad”; one of instant, standard, simple, parallel_review"),
    ({"process": "Standard Process"}, "process", "The process name “Standard Process” may hold only a-z, 0-9 and _"),
    ({"instant": True, "process": "instant"}, "decision",
     "An instant item (秒办) is decided by a decision table: name it"),
    ({"decision": "age_check"}, "decision", "Only an instant item (秒办) has a decision table"),
    ({"process": "instant"}, "instant", "The “instant” process decides items instantly: tick “instant approval”"),
    ({"online": False, "mobile": False}, "visits",
     "Zero visits on site (跑零次) needs the item to be applied for online"),
    ({"online": False, "visits": 1}, "mobile",
     "An item applied for on a phone is applied for online: tick “online” too"),
    ({"visits": 10}, "visits", "Visits on site must be a whole number from 0 to 9, not “10”"),
    ({"online": "maybe"}, "online", "Online application must be yes or no, not “maybe”"),
    ({"result_name": ""}, "result_name",
     "Enter the result of the item (办理结果), e.g. the licence or certificate issued"),
    ({"result_licence_type": "营业 执照"}, "result_licence_type",
     "The licence type code “营业 执照” may hold only letters, digits and . _ : - (at most 128 characters)"),
    ({"place": "地" * 256}, "place", "The place has 256 characters; at most 255"),
    ({"department": "330106-XX"}, "department", "There is no department with the code 330106-XX"),
    ({"department": ""}, "department", "Enter the code of the implementing department (实施机关)"),
    ({"name": "别的名字"}, "name", "The item's name is the same at every level (四级四同): change it on the "
                                  "catalogue entry, not on an implementation list"),
    ({"basis": "别的依据"}, "basis", "The item's legal basis is the same at every level (四级四同): change it on the "
                                   "catalogue entry, not on an implementation list"),
    ({"wheelchair": True}, "wheelchair", "“wheelchair” is not an element of an implementation list"),
])
def test_an_implementation_list_with_a_bad_element_is_refused(guide_people, item, overrides, key, message):
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code=item.code,
                     division_code="330106", data=implementation_data(**overrides), materials=materials_data())
    assert errors == {key: [message]}


def test_the_form_fields_are_checked_field_by_field(guide_people, item):
    fields = implementation_data()["form_fields"]
    fields[1] = {**fields[1], "prefill": "person.salary"}
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code=item.code,
                     division_code="330106", data=implementation_data(form_fields=fields))
    assert list(errors) == ["form_fields"]
    (message,) = errors["form_fields"]
    assert message.startswith("Form field 2: the prefill “person.salary” is not a registry attribute (person.… or "
                              "company.…: person.resident_id, person.name,")


@pytest.mark.parametrize(("change", "message"), [
    ({"source": "shared", "source_ref": ""}, "Material 3: a material fetched from shared data names the sharing service"),
    ({"source": "licence", "source_ref": ""}, "Material 3: a material fetched from an e-licence names the licence type"),
    ({"source_ref": "ds-1"}, "Material 3: an uploaded material is not fetched from anywhere: leave “fetched from” empty"),
    ({"accepted_types": []}, "Material 3: an uploaded material lists the file types accepted (e.g. pdf, jpg)"),
    ({"accepted_types": ["pdf", "exe"]},
     "Material 3: the file types exe are not accepted; choose from pdf, ofd, jpg, jpeg, png, doc, docx, xls, xlsx"),
    ({"max_bytes": 60 * 1024 * 1024},
     "Material 3: the largest upload must be a whole number of bytes from 1 to 52428800, not “62914560”"),
    ({"code": "shebao"}, "Material 3: the code “shebao” is used twice"),
    ({"code": "发票"}, "Material 3: the code “发票” may hold only a-z, 0-9, _ and - (at most 64 characters)"),
    ({"copies": 0}, "Material 3: copies must be a whole number from 1 to 99, not “0”"),
    ({"source": "produced", "source_ref": "330000-SJ-0001"},
     "Material 3: there is no item with the code 330000-SJ-0001 to produce it"),
    ({"source": "produced", "source_ref": "330000-RS-0101"}, "Material 3: an item cannot produce its own material"),
    ({"form": "fax"}, "Material 3: the form “fax” is not one of electronic, paper, both"),
])
def test_a_material_with_a_bad_element_is_refused_naming_its_position(guide_people, item, change, message):
    materials = materials_data()
    materials[2] = {**materials[2], **change}
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code=item.code,
                     division_code="330106", data=implementation_data(), materials=materials)
    assert errors == {"materials": [message]}


def test_the_implementing_department_is_at_the_division_or_above(guide_people, item):
    # Binjiang's bureau cannot implement in Xihu; Hangzhou's can (a city-level department serving a county).
    errors = refused(services.implementation_create, actor=SYSTEM, item_code=item.code, division_code="330106",
                     data=implementation_data(department="330108-RS"))
    assert errors == {"department": ["滨江区人力资源和社会保障局 is not at 西湖区 or above it, so it cannot implement the item there"]}
    made = services.implementation_create(actor=SYSTEM, item_code=item.code, division_code="330106",
                                          data=implementation_data(department="330100-RS"))
    assert made.department.code == "330100-RS"


def test_one_list_per_item_and_division(guide_people, item, draft):
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code=item.code,
                     division_code="330106", data=implementation_data())
    assert errors == {"division": ["西湖区 already has an implementation list of 职业技能培训补贴申领"]}
    errors = refused(services.implementation_create, actor=guide_people.actor("rs_case"), item_code="NO-SUCH",
                     division_code="339999", data=implementation_data())
    assert errors == {"item": ["There is no item with the code NO-SUCH"],
                      "division": ["There is no division with the code 339999"]}


@pytest.mark.parametrize(("name", "allowed"), [
    ("rs_case", True),  # the implementing department's case officer
    ("rs_leader", True),  # … and its leader
    ("xihu_dsj_admin", True),  # Xihu's big-data bureau
    ("xihu_leader", True),  # Xihu's general office (its leader)
    ("hz_dsj_admin", True),  # Hangzhou's big-data bureau: Xihu is inside Hangzhou
    ("zj_dsj_admin", True),  # the province's
    ("rs_data", False),  # in the department, but neither case officer nor leader
    ("window", False),  # the general office's window officer
    ("sj_case", False),  # another department of Xihu
    ("binjiang_rs_case", False),  # the same kind of department in another county
    ("ningbo_rs_case", False),  # in another city
    ("citizen_a", False),
])
def test_who_keeps_xihus_list(guide_people, draft, name, allowed):
    actor = guide_people.actor(name)
    if allowed:
        services.implementation_update(actor=actor, public_id=draft.public_id, data={"promised_days": 3})
        assert ItemImplementation.objects.get(pk=draft.pk).promised_days == 3
        return
    before = guide_state()
    for call, kwargs in (
        (services.implementation_update, {"data": {"promised_days": 3}}),
        (services.implementation_publish, {}),
        (services.materials_set, {"materials": []}),
    ):
        with pytest.raises(PermissionDenied):
            call(actor=actor, public_id=draft.public_id, **kwargs)
    assert guide_state() == before


def test_another_counties_officer_cannot_create_in_xihu(guide_people, item):
    before = guide_state()
    with pytest.raises(PermissionDenied):
        services.implementation_create(actor=guide_people.actor("binjiang_rs_case"), item_code=item.code,
                                       division_code="330106", data=implementation_data())
    assert guide_state() == before


def test_an_update_changes_only_what_it_names_and_checks_it_against_the_rest(guide_people, draft):
    rs = guide_people.actor("rs_case")
    errors = refused(services.implementation_update, actor=rs, public_id=draft.public_id, data={"promised_days": 21})
    assert errors == {"promised_days": [
        "The promised time limit (21 working days) is longer than the statutory time limit (20 working days)"]}
    services.implementation_update(actor=rs, public_id=draft.public_id, data={"legal_days": 30, "promised_days": 21})
    draft.refresh_from_db()
    assert (draft.legal_days, draft.promised_days, draft.conditions) == (30, 21, implementation_data()["conditions"])
    (entry,) = ledger("guide.implementation.updated", str(draft.public_id))
    assert entry["payload"]["changed"] == ["legal_days", "promised_days"]
    # Nothing new: no write, no ledger entry.
    services.implementation_update(actor=rs, public_id=draft.public_id, data={"legal_days": 30})
    assert len(ledger("guide.implementation.updated", str(draft.public_id))) == 1


def test_publishing_makes_it_findable_with_a_ledger_entry_and_an_event(guide_people, item, draft):
    services.implementation_publish(actor=guide_people.actor("rs_case"), public_id=draft.public_id)
    draft.refresh_from_db()
    assert draft.status == "published"
    (entry,) = ledger("guide.implementation.published", str(draft.public_id))
    assert entry["payload"] == {"implementation": str(draft.public_id), "item": item.code, "division": "330106",
                                "department": "330106-RS"}
    (event,) = OutboxEvent.objects.filter(name="guide.implementation_published")
    assert event.payload == {"implementation": str(draft.public_id), "item": item.code, "division": "330106"}
    assert events_deliver_all() >= 1  # deliverable (no handler of the guide's own fails)
    hits = search(query="培训补贴", kinds=["service_item"])
    assert [hit.key for hit in hits.hits] == [item.code]
    assert implementation_for(item_code=item.code, division_code="330106004").public_id == draft.public_id
    errors = refused(services.implementation_publish, actor=guide_people.actor("rs_case"), public_id=draft.public_id)
    assert errors == {"status": ["The implementation list is already published"]}


def test_publishing_rechecks_the_whole_list(guide_people, draft):
    # A row written around the services (an old import) is caught before it goes public.
    Material.objects.filter(implementation=draft, code="invoice").update(accepted_types=[])
    ItemImplementation.objects.filter(pk=draft.pk).update(promised_days=25)
    errors = refused(services.implementation_publish, actor=guide_people.actor("rs_case"), public_id=draft.public_id)
    assert errors == {
        "promised_days": ["The promised time limit (25 working days) is longer than the statutory time limit "
                          "(20 working days)"],
        "materials": ["Material “培训费发票” is uploaded but lists no accepted file types"],
    }


def test_suspending_stops_new_applications_and_needs_a_reason(guide_people, item, draft):
    rs = guide_people.actor("rs_case")
    assert refused(services.implementation_suspend, actor=rs, public_id=draft.public_id, reason="") == {
        "status": ["Only a published implementation list can be suspended"],
        "reason": ["Say why the implementation list is suspended"]}
    services.implementation_publish(actor=rs, public_id=draft.public_id)
    assert refused(services.implementation_suspend, actor=rs, public_id=draft.public_id, reason="  ") == {
        "reason": ["Say why the implementation list is suspended"]}
    services.implementation_suspend(actor=rs, public_id=draft.public_id, reason="系统升级")
    draft.refresh_from_db()
    assert draft.status == "suspended"
    (entry,) = ledger("guide.implementation.suspended", str(draft.public_id))
    assert entry["payload"] == {"item": item.code, "division": "330106", "reason": "系统升级"}
    assert implementation_for(item_code=item.code, division_code="330106") is None
    assert search(query="培训补贴", kinds=["service_item"]).total == 0
    services.implementation_publish(actor=rs, public_id=draft.public_id)  # back again
    assert implementation_for(item_code=item.code, division_code="330106").status == "published"


def test_an_item_update_reaches_the_search(guide_people, item, draft):
    services.implementation_publish(actor=guide_people.actor("rs_case"), public_id=draft.public_id)
    services.item_update(actor=guide_people.actor("zj_bgt_case"), code=item.code,
                         data={"name": "失业人员技能提升补贴申领", "keywords": ["技能提升"]})
    assert [hit.title for hit in search(query="失业人员", kinds=["service_item"]).hits] == ["失业人员技能提升补贴申领"]
    assert implementation_for(item_code=item.code, division_code="330106").item_name == "失业人员技能提升补贴申领"


def test_materials_are_replaced_by_code(guide_people, draft):
    rs = guide_people.actor("rs_case")
    kept = Material.objects.get(implementation=draft, code="shebao")
    materials = materials_data()
    materials[1] = {**materials[1], "name": "社会保险参保缴费证明", "required": False}
    new = {"code": "photo", "name": "近期免冠照片", "source": "upload", "accepted_types": ["jpg", "png"]}
    result = services.materials_set(actor=rs, public_id=draft.public_id, materials=[materials[1], new])
    assert [(m.code, m.name, m.required, m.position, m.copies, m.form, m.max_bytes) for m in result] == [
        ("shebao", "社会保险参保缴费证明", False, 1, 1, "electronic", 10485760),
        ("photo", "近期免冠照片", True, 2, 1, "electronic", 10 * 1024 * 1024)]
    assert result[0].pk == kept.pk  # the same row, changed
    (entry,) = ledger("guide.implementation.updated", str(draft.public_id))
    assert entry["payload"]["changed"] == ["materials"]


def test_a_material_used_by_an_application_cannot_be_removed(guide_people, draft):
    from zhengtong.services.applications.models import Application, ApplicationMaterial

    application = Application.objects.create(
        implementation=draft, item=draft.item, applicant_user=guide_people.users["citizen_a"],
        division=draft.division, department=draft.department)
    ApplicationMaterial.objects.create(application=application, material=Material.objects.get(
        implementation=draft, code="invoice"), source="upload")
    errors = refused(services.materials_set, actor=guide_people.actor("rs_case"), public_id=draft.public_id,
                     materials=materials_data()[:2])
    assert errors == {"materials": ["Material “培训费发票” is part of applications already made and cannot be removed: "
                                    "mark it not required instead"]}


# --- the finder ----------------------------------------------------------------------------------


def test_the_finder_is_kept_by_the_provinces_coordinators(guide_people, item):
    zj = guide_people.actor("zj_bgt_case")
    services.finder_question_save(actor=zj, code="job", text="您要办理哪类就业事项？", answers=[
        {"code": "training", "label": "培训补贴", "items": [item.code]}])
    start = services.finder_question_save(actor=zj, code="who", text="您是？", is_start=True, answers=[
        {"code": "person", "label": "个人", "next": "job"}, {"code": "company", "label": "企业", "themes": ["开办企业"]}])
    assert start.answers == [
        {"code": "person", "label": "个人", "next": "job", "themes": [], "items": []},
        {"code": "company", "label": "企业", "next": "", "themes": ["开办企业"], "items": []}]
    other = services.finder_question_save(actor=zj, code="who2", text="您是谁？", is_start=True, answers=[
        {"code": "x", "label": "个人", "next": "job"}])
    start.refresh_from_db()
    assert (start.is_start, other.is_start) == (False, True)  # one start question
    before = guide_state()
    for name in ("rs_case", "zj_rs_case", "hz_dsj_admin"):
        with pytest.raises(PermissionDenied):
            services.finder_question_save(actor=guide_people.actor(name), code="x", text="?", answers=[
                {"code": "a", "label": "a", "items": [item.code]}])
    assert guide_state() == before


def test_a_finder_question_with_bad_answers_is_refused(guide_people, item):
    errors = refused(services.finder_question_save, actor=guide_people.actor("zj_bgt_case"), code="who", text="您是？",
                     answers=[{"code": "a", "label": "甲", "next": "nowhere"},
                              {"code": "a", "label": "", "items": ["NO-SUCH"]},
                              {"code": "c", "label": "丙", "next": "job", "items": [item.code]},
                              {"code": "d", "label": "丁"}])
    assert errors == {"answers": [
        "Answer 1: there is no question “nowhere”",
        "Answer 2: its code “a” must be unique and hold only a-z, 0-9, _ and -",
        "Answer 2: enter its label",
        "Answer 2: there is no item with the code NO-SUCH",
        "Answer 3: either ask a next question or end with items, not both",
        "Answer 3: there is no question “job”",
        "Answer 4: ask a next question or name items or themes",
    ]}
