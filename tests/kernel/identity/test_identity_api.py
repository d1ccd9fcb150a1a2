"""GET /api/v1/me and the OpenAPI documents."""

import json
import re
from html.parser import HTMLParser

import pytest
from drf_spectacular.validation import validate_schema

from zhengtong.kernel.identity.services import api_client_create, api_client_revoke

from .factories import PASSWORD, RESIDENT_ID, totp_now

ME = "/api/v1/me"


@pytest.mark.django_db
def test_me_for_a_signed_in_officer(client, officer):
    client.post(
        "/account/staff/login/", {"username": "wangfang", "password": PASSWORD, "otp_token": totp_now(officer.user)}
    )

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "kind": "staff",
        "display_name": "王芳",
        "department": "西湖区市场监督管理局",
        "division_code": "330106",
        "roles": ["case_officer", "window_officer"],
        "client_name": None,
        "scopes": [],
    }


@pytest.mark.django_db
def test_me_for_a_signed_in_citizen(client, citizen):
    client.post("/account/login/", {"username": RESIDENT_ID, "password": PASSWORD})

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "kind": "citizen",
        "display_name": "张三丰",
        "department": None,
        "division_code": None,
        "roles": [],
        "client_name": None,
        "scopes": [],
    }


@pytest.mark.django_db
def test_me_for_an_api_client(client, department):
    _, key = api_client_create(name="西湖区一网通办前置机", department=department, scopes=["opendata.read", "cases.read"])

    response = client.get(ME, HTTP_AUTHORIZATION=f"ApiKey {key}")

    assert response.status_code == 200
    assert response.json() == {
        "kind": "api_client",
        "display_name": "西湖区一网通办前置机",
        "department": "西湖区市场监督管理局",
        "division_code": "330106",
        "roles": [],
        "client_name": "西湖区一网通办前置机",
        "scopes": ["cases.read", "opendata.read"],
    }


@pytest.mark.django_db
def test_me_refuses_a_revoked_key(client, department):
    api_client, key = api_client_create(name="旧系统", department=None, scopes=[])
    api_client_revoke(client=api_client)

    response = client.get(ME, HTTP_AUTHORIZATION=f"ApiKey {key}")

    assert response.status_code == 401
    assert "display_name" not in response.json()


@pytest.mark.django_db
def test_me_needs_a_caller(client):
    response = client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "ApiKey"


class ExternalReferences(HTMLParser):
    """Collects the src and href of script and link tags."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "link"}:
            self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


@pytest.mark.django_db
def test_the_api_docs_work_offline(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    parser = ExternalReferences()
    parser.feed(page)
    assert parser.urls, "the page loads no scripts or styles at all"
    assert all(url.startswith("/static/") for url in parser.urls), parser.urls
    # Nor may an inline script fetch from elsewhere: the only URL it names is our schema.
    assert re.findall(r"https?://", page) == []
    assert "/api/schema/" in page


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_and_describes_me(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on anything OpenAPI 3 does not allow
    assert schema["openapi"].startswith("3.")
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["operationId"] == "identity_me"
    assert {"ApiKey": []} in me["security"]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`ApiKey zt_<prefix>_<secret>`, issued to a registered API client.",
    }
    reference = me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert reference == "#/components/schemas/Me"
    output = schema["components"]["schemas"]["Me"]
    assert sorted(output["properties"]) == sorted(
        ["kind", "display_name", "department", "division_code", "roles", "client_name", "scopes"]
    )


@pytest.mark.django_db
def test_a_staff_session_without_a_verified_second_factor_is_not_an_api_login(client, officer):
    # force_login opens a session with the password step only (as /admin/ would): no OTP device verified.
    client.force_login(officer.user)

    response = client.get(ME)

    assert response.status_code in (401, 403)
    assert "display_name" not in response.json()


@pytest.mark.django_db
def test_a_citizen_session_needs_no_second_factor_for_the_api(client, citizen):
    client.force_login(citizen.user)

    assert client.get(ME).json()["kind"] == "citizen"
