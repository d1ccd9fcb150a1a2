"""Table schema versions: the descriptor is checked field by field, and every problem is named."""

import copy

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from zhengtong.data.catalog import services
from zhengtong.data.catalog.descriptors import SchemaInvalid, descriptor_problems
from zhengtong.data.catalog.models import TableSchema
from zhengtong.data.catalog.public import schema_current

from .conftest import PERSON_SCHEMA

pytestmark = pytest.mark.django_db


def problems(descriptor) -> list[tuple[str, str, str]]:
    return [(p.path, p.code, p.message) for p in descriptor_problems(descriptor)]


def with_field(**field) -> dict:
    return {"fields": [{"name": "id_number", "type": "string"}, field]}


def test_a_valid_schema_becomes_version_1_then_2(make_dataset, people):
    dataset = make_dataset()
    officer = people.actor("xihu_ga_officer")
    first = services.schema_version_create(actor=officer, dataset=dataset, descriptor=PERSON_SCHEMA)
    changed = copy.deepcopy(PERSON_SCHEMA)
    changed["fields"].append({"name": "address", "type": "string", "maskingKind": "address"})
    second = services.schema_version_create(actor=officer, dataset=dataset, descriptor=changed)
    assert (first.version, second.version) == (1, 2)
    assert TableSchema.objects.get(pk=first.pk).descriptor == PERSON_SCHEMA  # versions never change
    spec = schema_current(dataset.id)
    assert spec.version == 2 and spec.primary_key == ("id_number",)
    assert spec.field_names[-1] == "address"
    reg_date = next(f for f in spec.fields if f.name == "reg_date")
    assert (reg_date.domain_type, reg_date.format) == ("cn_date", "%Y年%m月%d日")


def test_saving_the_same_schema_again_is_refused(make_dataset, people, snapshot):
    dataset = make_dataset(schema=PERSON_SCHEMA)
    before = snapshot()
    with pytest.raises(SchemaInvalid) as error:
        services.schema_version_create(actor=people.actor("xihu_ga_officer"), dataset=dataset,
                                       descriptor=copy.deepcopy(PERSON_SCHEMA))
    assert [(p.code, p.message) for p in error.value.problems] == [
        ("unchanged", "The schema is the same as version 1; there is nothing to save."),
    ]
    assert snapshot() == before


def test_every_problem_is_listed_at_once(make_dataset, people, snapshot):
    dataset = make_dataset()
    descriptor = {
        "fields": [
            {"name": "ID", "type": "string"},
            {"name": "name", "type": "strin"},
            {"name": "name", "type": "string", "constraints": {"pattern": "(?<=a)b"}},
            {"name": "age", "type": "integer", "constraints": {"minimum": 120, "maximum": 0}},
        ],
        "primaryKey": ["id"],
        "primarykey": ["name"],
    }
    before = snapshot()
    with pytest.raises(SchemaInvalid) as error:
        services.schema_version_create(actor=people.actor("xihu_ga_officer"), dataset=dataset, descriptor=descriptor)
    assert [(p.path, p.code) for p in error.value.problems] == [
        ("primarykey", "schema_property_unknown"),
        ("fields[0].name", "name_invalid"),
        ("fields[1].type", "type_unknown"),
        ("fields[2].name", "name_duplicate"),
        ("fields[2].constraints.pattern", "pattern_invalid"),
        ("fields[3].constraints.minimum", "bounds_reversed"),
        ("primaryKey", "primary_key_unknown"),
    ]
    assert error.value.messages == [p.message for p in error.value.problems]
    assert snapshot() == before


@pytest.mark.parametrize("descriptor, expected", [
    ([], [("", "not_object", "The table schema must be a JSON object with a “fields” list.")]),
    ({"fields": []}, [("fields", "no_fields", "The table schema needs a “fields” list with at least one field.")]),
    ({"fields": ["id"]}, [("fields[0]", "field_not_object", "Field 1 must be an object with at least a “name”.")]),
    ({"fields": [{"type": "string"}]}, [("fields[0].name", "name_missing", "Field 1 has no name.")]),
    (with_field(name="2nd"), [("fields[1].name", "name_invalid",
      "Field 2 (2nd): the name must start with a lower-case letter and hold only lower-case letters, digits and "
      "underscores, at most 63 characters, so that it can be a database column.")]),
    (with_field(name="a" * 64), [("fields[1].name", "name_invalid",
      f"Field 2 ({'a' * 64}): the name must start with a lower-case letter and hold only lower-case letters, digits "
      "and underscores, at most 63 characters, so that it can be a database column.")]),
    (with_field(name="order"), [("fields[1].name", "name_reserved",
      "Field 2 (order): “order” is a reserved word in SQL; choose another name, such as “order_value”.")]),
    (with_field(name="id_number"), [("fields[1].name", "name_duplicate",
      "Field 2 (id_number): the name is already used by field 1.")]),
    (with_field(name="x", kind="string"), [("fields[1].kind", "field_property_unknown",
      "Field 2 (x): “kind” is not a field property.")]),
    (with_field(name="x", type="text"), [("fields[1].type", "type_unknown",
      "Field 2 (x): “text” is not a Table Schema type; use one of string, number, integer, boolean, object, array, "
      "date, time, datetime, year, yearmonth, duration, geopoint, geojson, any.")]),
    (with_field(name="x", type="date", format="YYYY-MM-DD"), [("fields[1].format", "format_invalid",
      "Field 2 (x): “YYYY-MM-DD” is not a format for a date field; dates take “default”, “any” or a pattern of "
      "%-codes such as “%Y年%m月%d日”.")]),
    (with_field(name="x", type="date", format="%Q"), [("fields[1].format", "format_invalid",
      "Field 2 (x): “%Q” is not a format for a date field; dates take “default”, “any” or a pattern of %-codes such "
      "as “%Y年%m月%d日”.")]),
    (with_field(name="x", type="string", domainType="cn_date", format="%Y年%m月%d日"), [("fields[1].format",
      "format_invalid", "Field 2 (x): “%Y年%m月%d日” is not a format for a string field; dates take “default”, “any” "
      "or a pattern of %-codes such as “%Y年%m月%d日”.")]),
    (with_field(name="x", type="integer", format="%d"), [("fields[1].format", "format_invalid",
      "Field 2 (x): “%d” is not a format for a integer field; dates take “default”, “any” or a pattern of %-codes "
      "such as “%Y年%m月%d日”.")]),
    (with_field(name="x", domainType="passport"), [("fields[1].domainType", "domain_type_unknown",
      "Field 2 (x): “passport” is not a domain type; use one of resident_id, uscc, division_code, mobile, cn_date.")]),
    (with_field(name="x", type="integer", domainType="mobile"), [("fields[1].domainType", "domain_type_mismatch",
      "Field 2 (x): a mobile field must have type string (identifiers keep their leading zeros and the letter X), "
      "not integer.")]),
    (with_field(name="x", type="number", domainType="cn_date"), [("fields[1].domainType", "domain_type_mismatch",
      "Field 2 (x): a cn_date field must have type string or date, not number.")]),
    (with_field(name="x", maskingKind="secret"), [("fields[1].maskingKind", "masking_kind_unknown",
      "Field 2 (x): “secret” is not a masking kind; use one of name, resident_id, mobile, address, email, "
      "credit_code, bank_account, free_text, plain.")]),
    (with_field(name="x", constraints=["required"]), [("fields[1].constraints", "constraints_not_object",
      "Field 2 (x): “constraints” must be an object.")]),
    (with_field(name="x", constraints={"requried": True}), [("fields[1].constraints.requried", "constraint_unknown",
      "Field 2 (x): “requried” is not a constraint; use required, unique, pattern, enum, minimum, maximum, "
      "minLength, maxLength.")]),
    (with_field(name="x", constraints={"required": "yes"}), [("fields[1].constraints.required",
      "constraint_not_boolean", "Field 2 (x): “required” must be true or false.")]),
    (with_field(name="x", constraints={"pattern": "[0-9"}), [("fields[1].constraints.pattern", "pattern_invalid",
      "Field 2 (x): the pattern “[0-9” is not a valid regular expression for the rules engine: unterminated character "
      "set at position 0.")]),
    (with_field(name="x", constraints={"pattern": r"(\d)\1"}), [("fields[1].constraints.pattern", "pattern_invalid",
      "Field 2 (x): the pattern “(\\d)\\1” is not a valid regular expression for the rules engine: invalid escape "
      "sequence: \\1.")]),
    (with_field(name="x", constraints={"enum": []}), [("fields[1].constraints.enum", "enum_invalid",
      "Field 2 (x): “enum” must be a non-empty list of the allowed values.")]),
    (with_field(name="x", type="integer", constraints={"enum": [1, "2"]}), [("fields[1].constraints.enum",
      "enum_value_type", "Field 2 (x): the allowed value \"2\" is not of the field's type (integer).")]),
    (with_field(name="x", constraints={"enum": ["男", "男"]}), [("fields[1].constraints.enum", "enum_duplicate",
      "Field 2 (x): the allowed value \"男\" is listed twice.")]),
    (with_field(name="x", type="string", constraints={"minimum": 1}), [("fields[1].constraints.minimum",
      "bound_not_applicable", "Field 2 (x): “minimum” applies only to numbers, years and dates, not to a string field.")]),
    (with_field(name="x", type="number", constraints={"maximum": "100"}), [("fields[1].constraints.maximum",
      "bound_invalid", "Field 2 (x): “maximum” must be a number, not \"100\".")]),
    (with_field(name="x", type="date", constraints={"minimum": "2024-02-30"}), [("fields[1].constraints.minimum",
      "bound_invalid", "Field 2 (x): “minimum” must be a date written YYYY-MM-DD, not \"2024-02-30\".")]),
    (with_field(name="x", type="date", constraints={"minimum": "2024-02-01", "maximum": "2024-01-01"}),
     [("fields[1].constraints.minimum", "bounds_reversed",
       "Field 2 (x): the minimum \"2024-02-01\" is greater than the maximum \"2024-01-01\".")]),
    (with_field(name="x", constraints={"minLength": -1}), [("fields[1].constraints.minLength", "length_invalid",
      "Field 2 (x): “minLength” must be a whole number of at least 0.")]),
    (with_field(name="x", constraints={"minLength": 5, "maxLength": 2}), [("fields[1].constraints.minLength",
      "lengths_reversed", "Field 2 (x): minLength 5 is greater than maxLength 2.")]),
    ({"fields": [{"name": "a"}], "primaryKey": {"a": 1}}, [("primaryKey", "primary_key_invalid",
      "The primary key must be a field name or a list of field names.")]),
    ({"fields": [{"name": "a"}], "primaryKey": ["a", "a"]}, [("primaryKey", "primary_key_duplicate",
      "The primary key names “a” twice.")]),
    ({"fields": [{"name": "a"}], "missingValues": [None]}, [("missingValues", "missing_values_invalid",
      "“missingValues” must be a list of strings, such as [\"\", \"NA\"].")]),
])
def test_each_problem_is_named_exactly(descriptor, expected):
    assert problems(descriptor) == expected


@pytest.mark.parametrize("field", [
    {"name": "reg_date", "type": "date", "domainType": "cn_date", "format": "%Y年%m月%d日",
     "constraints": {"minimum": "2000-01-01", "maximum": "2030-12-31"}},
    {"name": "reg_day", "type": "string", "domainType": "cn_date"},
    {"name": "birth", "type": "date", "format": "%Y%m%d"},
    {"name": "at", "type": "datetime", "format": "any", "constraints": {"minimum": "2020-01-01T00:00:00"}},
    {"name": "email", "type": "string", "format": "email", "maskingKind": "email"},
    {"name": "credit_code", "type": "string", "domainType": "uscc", "maskingKind": "credit_code",
     "constraints": {"pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$", "minLength": 18, "maxLength": 18}},
    {"name": "year", "type": "year", "constraints": {"minimum": 1949, "maximum": 2100}},
    {"name": "flag", "type": "boolean", "constraints": {"enum": [True, False]}},
])
def test_well_formed_fields_pass(field):
    assert problems({"fields": [field], "primaryKey": field["name"]}) == []


def test_problems_are_in_chinese_by_default():
    with translation.override("zh-hans"):
        assert problems(with_field(name="order")) == [("fields[1].name", "name_reserved",
            "第2个字段（order）：“order”是 SQL 保留字，请换一个名称，如“order_value”。")]


def test_a_field_an_active_rule_checks_cannot_be_dropped(make_dataset, people, snapshot):
    dataset = make_dataset(schema=PERSON_SCHEMA)
    officer = people.actor("xihu_ga_officer")
    services.rule_create(actor=officer, dataset=dataset, code="gender-codes", kind="enum", field="gender",
                         params={"values": ["男", "女"]})
    without_gender = copy.deepcopy(PERSON_SCHEMA)
    without_gender["fields"] = [f for f in without_gender["fields"] if f["name"] != "gender"]
    before = snapshot()
    with pytest.raises(SchemaInvalid) as error:
        services.schema_version_create(actor=officer, dataset=dataset, descriptor=without_gender)
    assert error.value.messages == [
        "The active rule “gender-codes” checks the field “gender”, which this schema no longer has: keep the field, "
        "or deactivate the rule first."
    ]
    assert snapshot() == before
    rule = dataset.rules.get(code="gender-codes")
    services.rule_deactivate(actor=officer, rule=rule)
    assert services.schema_version_create(actor=officer, dataset=dataset, descriptor=without_gender).version == 2


def test_only_editors_save_schemas(make_dataset, people, snapshot):
    dataset = make_dataset()
    before = snapshot()
    for name in ("binjiang_ga_officer", "xihu_ga_caseworker", "citizen"):
        with pytest.raises(PermissionDenied):
            services.schema_version_create(actor=people.actor(name), dataset=dataset, descriptor=PERSON_SCHEMA)
    assert snapshot() == before
