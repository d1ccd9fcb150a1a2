"""Defining bundles: bundle_create / bundle_part_add / publish, the merged form (shared fields asked
once, conflicts refused at definition time), the merged materials (produced ones not asked)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.services.conftest import HUKOU, SYSTEM, form_field, implementation_make, item_make, material
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.onething import selectors, services
from zhengtong.services.onething.models import Bundle, BundlePart

from .conftest import BUNDLE, GA_ITEM, PARTS, RS_ITEM, SJ_ITEM, SW_ITEM, ZJ_ITEM, opening_bundle, opening_items

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _nothing_made():
    assert Bundle.objects.count() == 0
    assert BundlePart.objects.count() == 0
    assert not LedgerLeaf.objects.filter(kind__startswith="onething.").exists()


def test_a_bundle_is_made_with_its_parts_in_order_and_published(platform):
    opening_items()
    bundle = opening_bundle()
    assert bundle.is_published is True
    parts = list(bundle.parts.select_related("item").order_by("position"))
    assert [(p.position, p.item.code) for p in parts] == [
        (1, SJ_ITEM), (2, GA_ITEM), (3, SW_ITEM), (4, RS_ITEM), (5, ZJ_ITEM)]
    assert parts[1].field_map == {"enterprise_name": "company_name", "representative": "legal_representative"}
    kinds = LedgerLeaf.objects.filter(subject=f"bundle:{BUNDLE}").order_by("id").values_list("kind", flat=True)
    assert list(kinds) == [
        "onething.bundle_created", "onething.bundle_published"]


def test_the_public_reference_of_a_bundle(platform):
    from zhengtong.services.onething.public import bundle_ref_get

    opening_items()
    opening_bundle()
    ref = bundle_ref_get(BUNDLE)
    assert (ref.name, ref.serving, ref.division_code, ref.is_published) == ("开办企业一件事", "company", "330106", True)
    assert ref.item_codes == (SJ_ITEM, GA_ITEM, SW_ITEM, RS_ITEM, ZJ_ITEM)
    assert bundle_ref_get("nope") is None


def test_shared_fields_are_asked_once_and_mapped_names_merge(platform):
    opening_items()
    form = selectors.bundle_form(opening_bundle())
    uses = {field.name: field.uses for field in form.fields}
    assert list(uses) == ["company_name", "uscc", "legal_representative", "mobile", "address", "registered_capital",
                          "business_scope", "seal_kinds", "accountant_name", "accountant_mobile", "invoices",
                          "employee_count", "deposit_ratio"]
    # GA calls it enterprise_name; its field map makes it the same question
    assert uses["company_name"] == ((1, "company_name"), (2, "enterprise_name"), (3, "company_name"),
                                    (4, "company_name"), (5, "company_name"))
    assert uses["employee_count"] == ((4, "employee_count"), (5, "employee_count"))
    # the company's USCC is its account's identifier: shown, not asked
    assert [f.name for f in form.fields if f.read_only] == ["uscc"]
    assert len(form.questions) == 12
    # the mobile is optional in every part, so optional once merged; the address is required by SJ
    assert form.field("mobile").field.required is False
    assert form.field("address").field.required is True
    assert form.field("company_name").field.label == "企业名称"  # the first part's label


def test_a_produced_material_is_not_asked_and_shared_ones_are_asked_once(platform):
    opening_items()
    form = selectors.bundle_form(opening_bundle())
    by_key = {m.key: m for m in form.materials}
    assert list(by_key) == ["legal_rep_household", "articles", "address_proof", "licence"]
    licence = by_key["licence"]
    assert (licence.asked, licence.produced_by, licence.produced_by_name) == (False, 1, "企业设立登记")
    assert licence.uses == ((2, "licence"), (3, "licence"), (4, "licence"), (5, "licence"))
    household = by_key["legal_rep_household"]
    assert (household.source, household.source_ref, household.fetched) == ("shared", HUKOU, True)
    assert household.uses == ((1, "legal_rep_household"), (2, "legal_rep_household"))
    proof = by_key["address_proof"]
    assert (proof.source, proof.uses, proof.accepted_types) == ("upload", ((1, "address_proof"), (3, "address_proof")),
                                                                ("pdf", "jpg", "png"))


def test_the_guide_counts_what_merging_saves(platform, people):
    opening_items()
    opening_bundle()
    guide = selectors.bundle_guide(actor=people.actor("company"), code=BUNDLE)
    assert [p.department_name for p in guide.parts] == [
        "西湖区市场监督管理局", "西湖区公安局", "国家税务总局西湖区税务局", "西湖区人力资源和社会保障局", "西湖区住房和城乡建设局"]
    assert (guide.promised_days, guide.separate_promised_days) == (3, 8)
    assert (guide.fields_asked, guide.fields_separately) == (12, 25)
    # one upload asked twice is asked once; the licence four times not at all
    assert (guide.materials_asked, guide.materials_waived, guide.materials_separately) == (2, 2, 9)


def test_fields_of_two_kinds_under_one_name_are_refused_at_definition(platform):
    opening_items()
    clash = item_make("330106-SW-199", "跨区域涉税事项报告", serving="company", competent_department_kind="taxation")
    implementation_make(clash, department="330106-SW", process="simple",
                        form_fields=[form_field("employee_count", "职工人数", "date")])
    with pytest.raises(ValidationError) as caught:
        opening_bundle(parts=[*PARTS, services.PartSpec("330106-SW-199")])
    assert caught.value.message_dict == {"parts": [
        "The field “employee_count” cannot be asked once for “单位社会保险登记” and “跨区域涉税事项报告”: "
        "it is a number in one and a date in the other"]}
    _nothing_made()


def test_uploads_with_no_type_in_common_are_refused(platform):
    opening_items()
    other = item_make("330106-SW-198", "发票领用", serving="company", competent_department_kind="taxation")
    implementation_make(other, department="330106-SW", process="simple", form_fields=[],
                        materials=[material("articles", "公司章程", accepted_types=("jpg",))])
    with pytest.raises(ValidationError) as caught:
        opening_bundle(parts=[PARTS[0], services.PartSpec("330106-SW-198")])
    assert caught.value.message_dict == {"parts": [
        "The material “公司章程” cannot be uploaded once for “企业设立登记” and “发票领用”: they accept no file type in common"]}
    _nothing_made()


def test_bad_definitions_are_refused_field_by_field_and_nothing_is_made(platform):
    opening_items()
    with pytest.raises(ValidationError) as caught:
        services.bundle_create(actor=SYSTEM, code="开办 企业", name="", serving="anyone", division_code="999999",
                               result_name="", parts=[], publish=True)
    assert set(caught.value.message_dict) == {"code", "name", "serving", "division_code", "result_name", "parts"}
    assert caught.value.message_dict["division_code"] == ["There is no division “999999”."]
    with pytest.raises(ValidationError) as caught:
        opening_bundle(code="my")
    assert caught.value.message_dict == {"code": ["“my” is reserved; choose another code."]}
    _nothing_made()


def test_bad_parts_are_each_named(platform):
    opening_items()
    citizen_item = item_make("330106-RS-900", "失业登记", serving="citizen")
    implementation_make(citizen_item, department="330106-RS")
    item_make("330106-ZJ-901", "公积金提取", serving="company", competent_department_kind="housing")  # not implemented
    with pytest.raises(ValidationError) as caught:
        opening_bundle(parts=[
            services.PartSpec(SJ_ITEM, field_map={"no_such_field": "x", "company_name": "Bad-Name"}),
            services.PartSpec(SJ_ITEM), services.PartSpec("330106-XX-000"), services.PartSpec("330106-RS-900"),
            services.PartSpec("330106-ZJ-901")])
    assert caught.value.message_dict["parts"] == [
        "“企业设立登记”: “no_such_field” is not a field of the item's form (its fields: address、business_scope、"
        "company_name、legal_representative、mobile、registered_capital、uscc)",
        "“企业设立登记”: the merged name “Bad-Name” must start with a lower-case letter and hold only a-z, 0-9 and _",
        "“企业设立登记” is in the bundle already.",
        "There is no service item “330106-XX-000”.",
        "“失业登记” serves Citizens, the bundle serves Companies.",
        "“公积金提取” has no published implementation list serving 西湖区.",
    ]
    _nothing_made()


def test_only_the_service_centre_or_big_data_bureau_of_the_division_or_above_define_bundles(platform, people):
    opening_items()
    for name in ("ningbo_rs_case", "binjiang_window", "sj_case", "window", "citizen_a"):
        with pytest.raises(PermissionDenied):
            opening_bundle(actor=people.actor(name), code=f"b-{name.replace('_', '-')}")
    _nothing_made()
    assert opening_bundle(actor=people.actor("xihu_leader")).code == BUNDLE  # Xihu's general office, a leader
    assert opening_bundle(actor=people.actor("xihu_dsj_admin"), code="company-opening-2").is_published


def test_a_part_is_added_to_an_unpublished_bundle_only(platform):
    opening_items()
    bundle = opening_bundle(parts=PARTS[:2], publish=False)
    part = services.bundle_part_add(actor=SYSTEM, bundle_code=BUNDLE, item_code=SW_ITEM)
    assert (part.position, part.item.code) == (3, SW_ITEM)
    with pytest.raises(ValidationError) as caught:
        services.bundle_part_add(actor=SYSTEM, bundle_code=BUNDLE, item_code=SW_ITEM)
    assert caught.value.message_dict == {"parts": ["“新办纳税人涉税事项” is in the bundle already."]}
    services.bundle_publish(actor=SYSTEM, bundle_code=BUNDLE)
    with pytest.raises(ValidationError) as caught:
        services.bundle_part_add(actor=SYSTEM, bundle_code=BUNDLE, item_code=RS_ITEM)
    assert caught.value.message_dict == {"parts": ["Unpublish the bundle before changing its parts."]}
    assert bundle.parts.count() == 3


def test_a_bundle_needs_two_parts_to_be_published(platform):
    opening_items()
    opening_bundle(parts=PARTS[:1], publish=False)
    with pytest.raises(ValidationError) as caught:
        services.bundle_publish(actor=SYSTEM, bundle_code=BUNDLE)
    assert caught.value.message_dict == {"parts": ["A published bundle has at least 2 parts."]}
    assert Bundle.objects.get(code=BUNDLE).is_published is False


def test_unpublished_bundles_are_seen_only_by_those_who_define_them(platform, people):
    opening_items()
    opening_bundle(publish=False)
    assert list(selectors.bundle_list()) == []
    with pytest.raises(Bundle.DoesNotExist):
        selectors.access_bundle(actor=people.actor("company"), code=BUNDLE)
    assert selectors.access_bundle(actor=people.actor("xihu_leader"), code=BUNDLE).code == BUNDLE
    services.bundle_publish(actor=SYSTEM, bundle_code=BUNDLE)
    assert [b.code for b in selectors.bundle_list(serving="company")] == [BUNDLE]
    assert list(selectors.bundle_list(serving="citizen")) == []
    services.bundle_unpublish(actor=SYSTEM, bundle_code=BUNDLE)
    assert list(selectors.bundle_list()) == []
