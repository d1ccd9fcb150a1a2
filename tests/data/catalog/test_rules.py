"""Declared quality rules: parameters checked per kind, references to other datasets, deactivation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.data.catalog import services
from zhengtong.data.catalog.models import QualityRule
from zhengtong.data.catalog.public import rules_for

from .conftest import PERSON_SCHEMA

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(make_dataset):
    return make_dataset(schema=PERSON_SCHEMA)


@pytest.fixture
def officer(people):
    return people.actor("xihu_ga_officer")


@pytest.mark.parametrize("kind, field, params", [
    ("required", "mobile", {}),
    ("pattern", "mobile", {"regex": r"^1[3-9]\d{9}$"}),
    ("enum", "gender", {"values": ["男", "女"]}),
    ("range", "allowance", {"minimum": 0, "maximum": 5000}),
    ("range", "birth_date", {"minimum": "1900-01-01"}),
    ("date", "reg_date", {"format": "%Y年%m月%d日"}),
    ("date", "birth_date", {}),
    ("resident_id", "id_number", {}),
    ("uscc", "name", {}),
    ("mobile", "mobile", {}),
    ("division_code", "name", {}),
    ("unique", "mobile", {}),
    ("unique", "", {"fields": ["name", "birth_date"]}),
    ("consistency", "birth_date", {"check": "birth_date_matches_resident_id",
                                   "fields": {"resident_id": "id_number", "birth_date": "birth_date"}}),
    ("consistency", "", {"check": "gender_matches_resident_id",
                         "fields": {"resident_id": "id_number", "gender": "gender"}}),
    ("timeliness", "", {}),
])
def test_each_kind_of_rule(kind, field, params, dataset, officer):
    rule = services.rule_create(actor=officer, dataset=dataset, code="r-1", kind=kind, field=field, params=params,
                                description="规则说明")
    assert (rule.kind, rule.field, rule.params, rule.is_active) == (kind, field, params, True)
    declared = [spec for spec in rules_for(dataset.id) if not spec.derived]
    assert [(s.code, s.kind, s.field, dict(s.params), s.description) for s in declared] == [
        ("r-1", kind, field, params, "规则说明"),
    ]


def test_a_reference_names_a_dataset_and_field_the_officer_can_see(make_dataset, dataset, officer, people,
                                                                    departments, snapshot):
    registry = make_dataset("binjiang_ga_officer", owner_department_id=departments["330108-GA"].id,
                            title="常住人口登记", schema=PERSON_SCHEMA, publish=True)
    rule = services.rule_create(actor=officer, dataset=dataset, code="in-register", kind="reference",
                                field="id_number", params={"dataset": registry.resource_code, "field": "id_number"})
    assert rule.params == {"dataset": "330108-GA-00001", "field": "id_number"}

    # Another department's draft is not a dataset this officer can see: it does not exist for them.
    draft = make_dataset("binjiang_ga_officer", owner_department_id=departments["330108-GA"].id,
                         title="草稿", schema=PERSON_SCHEMA)
    before = snapshot()
    for params, message in (
        ({"dataset": draft.resource_code, "field": "id_number"}, "There is no dataset “330108-GA-00002” in the catalog."),
        ({"dataset": "330000-XX-00001", "field": "id_number"}, "There is no dataset “330000-XX-00001” in the catalog."),
        ({"dataset": registry.resource_code, "field": "passport"}, "The dataset “330108-GA-00001” has no field “passport”."),
        ({"dataset": registry.resource_code}, "A reference rule needs “dataset” (a resource code) and “field” (a field "
                                              "of that dataset)."),
    ):
        with pytest.raises(ValidationError) as error:
            services.rule_create(actor=officer, dataset=dataset, code="ref-2", kind="reference", field="id_number",
                                 params=params)
        assert error.value.message_dict == {"params": [message]}
    assert snapshot() == before


@pytest.mark.parametrize("code, kind, field, params, errors", [
    ("Bad Code", "required", "name", {}, {"code": [
        "The rule code must start with a lower-case letter and hold only lower-case letters, digits, “_” and “-”, at "
        "most 64 characters (codes with “:” belong to the rules the schema implies)."]}),
    ("required:name", "required", "name", {}, {"code": [
        "The rule code must start with a lower-case letter and hold only lower-case letters, digits, “_” and “-”, at "
        "most 64 characters (codes with “:” belong to the rules the schema implies)."]}),
    ("r", "spelling", "name", {}, {"kind": ["“spelling” is not a kind of rule."]}),
    ("r", "required", "", {}, {"field": ["Choose the field this rule checks."]}),
    ("r", "required", "passport", {}, {"field": ["The schema has no field “passport”."]}),
    ("r", "timeliness", "reg_date", {}, {"field": ["A timeliness rule applies to the whole dataset: leave the field empty."]}),
    ("r", "required", "name", [], {"params": ["The parameters must be a JSON object, such as {}."]}),
    ("r", "required", "name", {"regex": "x"}, {"params": [
        "A required rule takes no parameter “regex” (it takes: none)."]}),
    ("r", "pattern", "name", {}, {"params": ["A pattern rule needs “regex”, a regular expression."]}),
    ("r", "pattern", "name", {"regex": "(?=a)"}, {"params": [
        "The regular expression “(?=a)” cannot be used by the rules engine: invalid perl operator: (?=."]}),
    ("r", "enum", "gender", {"values": []}, {"params": ["An enum rule needs “values”, a non-empty list of the allowed values."]}),
    ("r", "enum", "gender", {"values": [["男"]]}, {"params": ["The allowed values must be text, numbers or true/false."]}),
    ("r", "enum", "gender", {"values": ["男", "男"]}, {"params": ["An allowed value is listed twice."]}),
    ("r", "range", "allowance", {}, {"params": ["A range rule needs a “minimum”, a “maximum” or both."]}),
    ("r", "range", "allowance", {"minimum": "zero"}, {"params": ["“minimum” must be a number or a date written YYYY-MM-DD."]}),
    ("r", "range", "allowance", {"minimum": 0, "maximum": "2024-01-01"}, {"params": [
        "The minimum and the maximum must both be numbers or both be dates."]}),
    ("r", "range", "allowance", {"minimum": 10, "maximum": 1}, {"params": ["The minimum 10 is greater than the maximum 1."]}),
    ("r", "date", "reg_date", {"format": "YYYY年"}, {"params": ["“format” must be a date pattern of %-codes, such as “%Y年%m月%d日”."]}),
    ("r", "unique", "", {}, {"field": ["Choose the field whose values must be unique, or list several in “fields”."]}),
    ("r", "unique", "name", {"fields": ["name", "mobile"]}, {"params": ["Give either a field or “fields”, not both."]}),
    ("r", "unique", "", {"fields": ["name"]}, {"params": ["“fields” must list at least two different field names."]}),
    ("r", "unique", "", {"fields": ["name", "passport"]}, {"params": ["The schema has no field “passport”."]}),
    ("r", "consistency", "", {"check": "age_matches"}, {"params": [
        "“check” must be one of birth_date_matches_resident_id, gender_matches_resident_id."]}),
    ("r", "consistency", "", {"check": "gender_matches_resident_id", "fields": {"resident_id": "id_number"}},
     {"params": ["“fields” must name the field for each of resident_id, gender, e.g. {\"resident_id\": \"resident_id\", "
                 "\"gender\": \"gender\"}."]}),
    ("r", "consistency", "", {"check": "gender_matches_resident_id",
                              "fields": {"resident_id": "id_number", "gender": "sex"}},
     {"params": ["The schema has no field “sex”."]}),
])
def test_bad_rules_are_refused_with_the_reason(code, kind, field, params, errors, dataset, officer, snapshot):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.rule_create(actor=officer, dataset=dataset, code=code, kind=kind, field=field, params=params)
    assert error.value.message_dict == errors
    assert snapshot() == before


def test_rules_need_a_schema_first(make_dataset, officer):
    dataset = make_dataset()
    with pytest.raises(ValidationError) as error:
        services.rule_create(actor=officer, dataset=dataset, code="r", kind="required", field="name")
    assert error.value.message_dict == {"field": ["Give the dataset a table schema first: rules check the fields it declares."]}
    # Timeliness looks at the dataset as a whole, so it needs no schema.
    assert services.rule_create(actor=officer, dataset=dataset, code="fresh", kind="timeliness").kind == "timeliness"


def test_deactivation_keeps_the_rule_and_its_code(dataset, officer, snapshot):
    rule = services.rule_create(actor=officer, dataset=dataset, code="gender", kind="enum", field="gender",
                                params={"values": ["男", "女"]})
    services.rule_deactivate(actor=officer, rule=rule)
    assert QualityRule.objects.get(pk=rule.pk).is_active is False
    assert "gender" not in [spec.code for spec in rules_for(dataset.id)]
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.rule_deactivate(actor=officer, rule=rule)
    assert error.value.messages == ["The rule “gender” is already inactive."]
    with pytest.raises(ValidationError) as error:
        services.rule_create(actor=officer, dataset=dataset, code="gender", kind="required", field="gender")
    assert error.value.message_dict == {"code": [
        "The dataset already has a rule “gender”; a code stays taken after its rule is deactivated."]}
    assert snapshot() == before


def test_only_editors_add_or_deactivate_rules(dataset, officer, people, snapshot):
    rule = services.rule_create(actor=officer, dataset=dataset, code="m", kind="mobile", field="mobile")
    before = snapshot()
    for name in ("binjiang_ga_officer", "xihu_ga_caseworker", "citizen"):
        with pytest.raises(PermissionDenied):
            services.rule_create(actor=people.actor(name), dataset=dataset, code="x", kind="required", field="name")
        with pytest.raises(PermissionDenied):
            services.rule_deactivate(actor=people.actor(name), rule=rule)
    assert snapshot() == before


def test_rules_for_lists_derived_then_declared(dataset, officer):
    services.rule_create(actor=officer, dataset=dataset, code="fresh", kind="timeliness")
    assert [(s.code, s.derived) for s in rules_for(dataset.id)] == [
        ("required:id_number", True), ("unique:id_number", True), ("resident_id:id_number", True),
        ("required:name", True), ("date:birth_date", True), ("enum:gender", True), ("mobile:mobile", True),
        ("date:reg_date", True), ("range:allowance", True), ("fresh", False),
    ]
