"""The merge of parts' forms and materials (merging.py), on the guide's frozen references alone."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from zhengtong.services.guide.public import FormField, ImplementationRef, MaterialRef
from zhengtong.services.onething.merging import PartSource, field_map_problems, form_merge


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def field(name, kind="text", *, required=True, choices=(), prefill="", max_length=None, label=None):
    return FormField(name=name, label=label or name, kind=kind, required=required, choices=choices, prefill=prefill,
                     max_length=max_length)


def material(code, *, source="upload", source_ref="", required=True, types=("pdf",), max_bytes=1000, copies=1):
    return MaterialRef(id=0, code=code, name=code, copies=copies, required=required, source=source,
                       source_ref=source_ref, accepted_types=tuple(types), max_bytes=max_bytes, form="electronic")


def part(position, code, fields=(), materials=(), field_map=None):
    implementation = ImplementationRef(
        id=position, public_id=uuid.uuid4(), item_id=position, item_code=code, item_name=f"item {code}",
        item_type="licensing", serving="company", handling_kind="new", division_code="330106", department_id=1,
        status="published", conditions="", legal_days=5, promised_days=1, fees=(), result_name="", result_licence_type="",
        visits=0, online=True, mobile=True, instant=False, process="simple", decision="", form_fields=tuple(fields),
        materials=tuple(materials))
    return PartSource(position, code, f"item {code}", field_map or {}, implementation)


def test_merged_field_takes_the_strictest_rules_and_the_only_prefill():
    merged = form_merge([
        part(1, "A", [field("name", required=False, max_length=50)]),
        part(2, "B", [field("title", required=True, max_length=30, prefill="company.name")], field_map={"title": "name"}),
    ])
    [name] = merged.fields
    assert (name.field.required, name.field.max_length, name.field.prefill) == (True, 30, "company.name")
    assert name.uses == ((1, "name"), (2, "title"))


def test_choices_that_differ_and_two_prefills_conflict():
    with pytest.raises(ValidationError) as caught:
        form_merge([
            part(1, "A", [field("ratio", "choice", choices=(("5", "5%"),)), field("who", prefill="person.name")]),
            part(2, "B", [field("ratio", "choice", choices=(("12", "12%"),)), field("who", prefill="company.name")]),
        ])
    assert caught.value.messages == [
        "The field “ratio” cannot be asked once for “item A” and “item B”: their choices differ",
        "The field “who” cannot be asked once for “item A” and “item B”: it is pre-filled from person.name in one "
        "and from company.name in the other",
    ]


def test_a_part_cannot_map_two_of_its_fields_to_one_name():
    with pytest.raises(ValidationError) as caught:
        form_merge([part(1, "A", [field("a"), field("b")], field_map={"b": "a"})])
    assert caught.value.messages == ["“item A” maps two of its fields to “a”: each part's fields must stay apart"]


def test_a_shared_upload_accepts_only_the_common_types_and_the_smallest_size():
    merged = form_merge([
        part(1, "A", materials=[material("proof", types=("pdf", "jpg"), max_bytes=2000, required=False)]),
        part(2, "B", materials=[material("proof", types=("JPG", "png"), max_bytes=500, copies=2)]),
    ])
    [proof] = merged.materials
    assert (proof.accepted_types, proof.max_bytes, proof.required, proof.copies) == (("jpg",), 500, True, 2)


def test_produced_material_only_when_its_producer_is_another_part():
    merged = form_merge([
        part(1, "A", materials=[material("own", source="produced", source_ref="A")]),  # its own result: uploaded
        part(2, "B", materials=[material("licence", source="produced", source_ref="A"),
                                material("permit", source="produced", source_ref="Z")]),  # Z is not a part
    ])
    by_key = {m.key: m for m in merged.materials}
    assert (by_key["own"].asked, by_key["own"].source) == (True, "upload")
    assert (by_key["licence"].asked, by_key["licence"].produced_by, by_key["licence"].waived) == (False, 1, True)
    assert (by_key["permit"].asked, by_key["permit"].source) == (True, "upload")


def test_fetched_materials_from_one_source_are_one_and_keys_stay_unique():
    merged = form_merge([
        part(1, "A", materials=[material("id", source="shared", source_ref="svc-1")]),
        part(2, "B", materials=[material("id", source="shared", source_ref="svc-1", required=False),
                                material("id2", source="shared", source_ref="svc-2")]),
        part(3, "C", materials=[material("id", source="shared", source_ref="svc-3")]),
    ])
    assert [(m.key, m.source_ref, m.uses) for m in merged.materials] == [
        ("id", "svc-1", ((1, "id"), (2, "id"))), ("id2", "svc-2", ((2, "id2"),)), ("id-2", "svc-3", ((3, "id"),))]


def test_field_map_problems_name_the_field():
    implementation = part(1, "A", [field("name")]).implementation
    assert field_map_problems({"name": "ok_name"}, implementation) == []
    assert field_map_problems(["name"], implementation) == [
        "the field map must map the item's field names to merged field names"]
    assert field_map_problems({"nope": "x", "name": "9bad"}, implementation) == [
        "“nope” is not a field of the item's form (its fields: name)",
        "the merged name “9bad” must start with a lower-case letter and hold only a-z, 0-9 and _"]
