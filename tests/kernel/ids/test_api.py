import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zhengtong.kernel.identity.models import AccountKind, User

URL = "/api/v1/ids/validate"


@pytest.fixture
def client():
    return APIClient()


def test_the_url_is_named_ids_validate():
    assert reverse("ids-validate") == URL


def test_a_valid_resident_id_answers_its_parts(client):
    response = client.post(URL, {"kind": "resident_id", "value": "440113 20141005 001x"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "normalised": "44011320141005001X",
        "details": {"division_code": "440113", "birth_date": "2014-10-05", "sequence": "001", "gender": "M"},
    }


def test_an_invalid_resident_id_answers_200_with_the_error_in_chinese_by_default(client):
    response = client.post(URL, {"kind": "resident_id", "value": "36042619910102009X"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "error": {
            "code": "resident_id.check_char",
            "position": 18,
            "message": "第18位校验码应为3，实际为X（GB 11643 ISO 7064 MOD 11-2）",
        },
    }


def test_accept_language_en_answers_in_english(client):
    response = client.post(
        URL, {"kind": "resident_id", "value": "360426199113010079"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json() == {
        "valid": False,
        "error": {
            "code": "resident_id.birth_date",
            "position": 11,
            "message": "Characters 7-14 (birth date) “19911301” are not a valid date: there is no month 13",
        },
    }


def test_a_credit_code_answers_labels_in_the_request_language(client):
    zh = client.post(URL, {"kind": "uscc", "value": "9144030071526726XG"}, format="json").json()
    en = client.post(
        URL, {"kind": "uscc", "value": "9144030071526726XG"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    parts = {
        "registration_authority": "9",
        "category": "1",
        "division_code": "440300",
        "organization_code": "71526726X",
    }
    assert zh == {
        "valid": True,
        "normalised": "9144030071526726XG",
        "details": {**parts, "registration_authority_label": "工商", "category_label": "企业"},
    }
    assert en["details"] == {
        **parts,
        "registration_authority_label": "Market regulation",
        "category_label": "Enterprise",
    }


def test_an_error_without_a_position_answers_null(client):
    response = client.post(URL, {"kind": "uscc", "value": "911100006000"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {
        "valid": False,
        "error": {
            "code": "uscc.length",
            "position": None,
            "message": "A unified social credit code has 18 characters, not 12",
        },
    }


def test_a_division_code_says_its_level_and_whether_the_platform_knows_it(client, small_province):
    known = client.post(URL, {"kind": "division_code", "value": "330106"}, format="json").json()
    unknown = client.post(URL, {"kind": "division_code", "value": "110101001"}, format="json").json()
    assert known == {"valid": True, "normalised": "330106", "details": {"level": "county", "known": True}}
    assert unknown == {"valid": True, "normalised": "110101001", "details": {"level": "township", "known": False}}


def test_a_mobile_number_is_normalised(client):
    response = client.post(URL, {"kind": "mobile", "value": "+86 180-1234-5678"}, format="json")
    assert response.json() == {"valid": True, "normalised": "18012345678", "details": {}}


def test_an_empty_value_is_an_answer_not_a_bad_request(client):
    response = client.post(URL, {"kind": "mobile", "value": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "error": {"code": "mobile.empty", "position": None, "message": "Enter a mobile number"},
    }


def test_an_unknown_kind_is_a_bad_request(client):
    response = client.post(URL, {"kind": "passport", "value": "E12345678"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"kind": ['"passport" is not a valid choice.']}


def test_an_overlong_value_is_a_bad_request(client):
    response = client.post(URL, {"kind": "mobile", "value": "1" * 65}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"value": ["Ensure this field has no more than 64 characters."]}


@pytest.mark.django_db
def test_a_signed_in_caller_gets_the_same_answer(client):
    user = User.objects.create_user("110102199101010078", "a-long-password", kind=AccountKind.CITIZEN)
    client.force_login(user)
    response = client.post(URL, {"kind": "resident_id", "value": "110102199101010078"}, format="json")
    assert response.status_code == 200
    assert response.json()["valid"] is True


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_the_openapi_schema_describes_the_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/ids/validate"]["post"]
    assert operation["operationId"] == "ids_validate"
    assert operation["security"][-1] == {}  # anonymous callers allowed
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IdValidateInput"
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IdValidateOutput"
    }
    components = schema["components"]["schemas"]
    kind = components["IdValidateInput"]["properties"]["kind"]
    # Enum components are named by drf-spectacular (and renamed when names clash): follow the $ref.
    kind_enum = components[kind["$ref"].rsplit("/", 1)[1]]
    assert kind_enum["enum"] == ["resident_id", "uscc", "division_code", "mobile"]
    assert set(components["IdValidateOutput"]["properties"]) == {"valid", "normalised", "details", "error"}
    assert components["IdValidateOutput"]["required"] == ["valid"]
    assert components["IdValidateError"]["required"] == ["code", "message", "position"]
