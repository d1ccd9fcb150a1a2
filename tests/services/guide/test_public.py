"""guide.public: the frozen references other modules read, and the nearest published list."""

from uuid import uuid4

import pytest

from tests.services.conftest import PERSON_FIELDS, implementation_make, item_make, material
from zhengtong.services.guide.public import (
    FormField,
    ImplementationRef,
    ItemRef,
    MaterialRef,
    implementation_for,
    implementation_get,
    item_get,
)


@pytest.fixture
def item(departments):
    return item_make("330000-RS-0201", "失业保险金申领", item_type="benefit", theme="就业创业")


def test_implementation_get_returns_every_element_whatever_the_status(item):
    row = implementation_make(
        item, status="draft", process="standard", legal_days=20, promised_days=5, visits=1, online=True, mobile=False,
        fees=[{"name": "工本费", "amount_fen": 1000, "basis": "浙价费〔2020〕1号"}], result_name="失业保险金核定",
        result_licence_type="", conditions="非本人意愿中断就业", form_fields=PERSON_FIELDS[:2],
        materials=[material("proof", "解除劳动关系证明", accepted_types=("pdf",), max_bytes=1024),
                   material("shebao", "参保证明", source="shared", source_ref="ds-330106-rs-00001", required=False)],
    )
    ref = implementation_get(public_id=row.public_id)
    assert isinstance(ref, ImplementationRef)
    assert (ref.id, ref.public_id, ref.item_id, ref.item_code, ref.item_name, ref.item_type, ref.serving) == (
        row.id, row.public_id, item.id, "330000-RS-0201", "失业保险金申领", "benefit", "citizen")
    assert (ref.handling_kind, ref.division_code, ref.department_id, ref.status) == (
        "new", "330106", row.department_id, "draft")
    assert (ref.conditions, ref.legal_days, ref.promised_days, ref.visits, ref.online, ref.mobile, ref.instant) == (
        "非本人意愿中断就业", 20, 5, 1, True, False, False)
    assert ref.fees == ({"name": "工本费", "amount_fen": 1000, "basis": "浙价费〔2020〕1号"},)
    assert (ref.result_name, ref.result_licence_type, ref.process, ref.decision) == ("失业保险金核定", "", "standard", "")
    assert ref.form_fields == (
        FormField("applicant_name", "申请人姓名", "text", True, (), "person.name", "", None),
        FormField("resident_id", "公民身份号码", "resident_id", True, (), "person.resident_id", "", None),
    )
    proof, shebao = ref.materials
    assert proof == MaterialRef(id=proof.id, code="proof", name="解除劳动关系证明", copies=1, required=True,
                                source="upload", source_ref="", accepted_types=("pdf",), max_bytes=1024,
                                form="electronic")
    assert (shebao.code, shebao.source, shebao.source_ref, shebao.required, shebao.fetched) == (
        "shebao", "shared", "ds-330106-rs-00001", False, True)
    assert ref.form_field("resident_id").kind == "resident_id" and ref.form_field("nope") is None
    assert ref.material("shebao") == shebao


def test_implementation_get_of_an_unknown_or_malformed_id_is_none(item):
    assert implementation_get(public_id=uuid4()) is None
    assert implementation_get(public_id="not-a-uuid") is None


def test_item_get(item):
    assert item_get(code="330000-RS-0201") == ItemRef(
        id=item.id, public_id=item.public_id, code="330000-RS-0201", name="失业保险金申领", item_type="benefit",
        serving="citizen", basis="《社会保险法》", theme="就业创业")
    assert item_get(code="330000-RS-9999") is None


def test_implementation_for_takes_the_nearest_published_level(item):
    province = implementation_make(item, division="330000", department="330000-RS")
    city = implementation_make(item, division="330100", department="330100-RS")
    county = implementation_make(item, division="330106", department="330106-RS", status="draft")
    # Xihu's own list is a draft: the township and the county are served by Hangzhou's.
    assert implementation_for(item_code=item.code, division_code="330106004").public_id == city.public_id
    assert implementation_for(item_code=item.code, division_code="330106").public_id == city.public_id
    # Ningbo has none of its own: the province's.
    assert implementation_for(item_code=item.code, division_code="330203").public_id == province.public_id
    county.status = "published"
    county.save()
    assert implementation_for(item_code=item.code, division_code="330106004").public_id == county.public_id
    assert implementation_for(item_code=item.code, division_code="330108").public_id == city.public_id


def test_implementation_for_without_any_published_list_or_division_is_none(item):
    implementation_make(item, division="330106", department="330106-RS", status="suspended")
    assert implementation_for(item_code=item.code, division_code="330106") is None
    assert implementation_for(item_code=item.code, division_code="999999") is None
    assert implementation_for(item_code="NO-SUCH", division_code="330106") is None
