"""GET /api/v1/calendar/working-deadline: open to anyone, in the caller's language."""

from datetime import date

import pytest
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator

from zhengtong.kernel.calendar.services import schedule_load

from .conftest import EXAMPLE_SOURCE

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/working-deadline"


def test_the_url_name():
    assert reverse("calendar-working-deadline") == URL


def test_a_deadline_into_an_unloaded_year_in_chinese(client):
    response = client.get(URL, {"start": "2026-12-24", "days": "10"})

    assert response.status_code == 200
    assert response.json() == {
        "due": "2027-01-07",
        "provisional": True,
        "unknown_years": [2027],
        "notice": "2027年节假日安排尚未载入，该期限暂按周末计算，可能变化",
    }


def test_a_deadline_into_an_unloaded_year_in_english(client):
    response = client.get(URL, {"start": "2026-12-24", "days": "10"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.json() == {
        "due": "2027-01-07",
        "provisional": True,
        "unknown_years": [2027],
        "notice": (
            "The 2027 holiday schedule has not been loaded yet; this deadline counts weekends only and may change"
        ),
    }


def test_an_exact_deadline_after_loading(client, superuser_actor, example_days):
    schedule_load(actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)

    response = client.get(URL, {"start": "2026-12-24", "days": "10"})

    assert response.json() == {"due": "2027-01-08", "provisional": False, "unknown_years": [], "notice": ""}


def test_across_the_2026_spring_festival(client):
    response = client.get(URL, {"start": "2026-02-13", "days": "2"})

    assert response.json() == {"due": "2026-02-24", "provisional": False, "unknown_years": [], "notice": ""}


@pytest.mark.parametrize(
    ("query", "language", "body"),
    [
        ({"start": "2026-13-01", "days": "3"}, "zh-hans", {"start": ["start 须为 YYYY-MM-DD 格式的日期，例如 2026-11-23。"]}),
        ({"start": "2026/12/01", "days": "3"}, "en", {"start": ["start must be a date written as YYYY-MM-DD, e.g. 2026-11-23."]}),
        ({"days": "3"}, "en", {"start": ["Give start, the day the period starts, as YYYY-MM-DD."]}),
        ({"start": "2026-12-01", "days": "-1"}, "zh-hans", {"days": ["days 须为 0 至 2500 之间的整数。"]}),
        ({"start": "2026-12-01", "days": "2501"}, "en", {"days": ["days must be a whole number from 0 to 2500."]}),
        ({"start": "2026-12-01", "days": "three"}, "en", {"days": ["days must be a whole number from 0 to 2500."]}),
        ({"start": "2026-12-01"}, "zh-hans", {"days": ["请提供 days，即工作日天数（0 至 2500）。"]}),
        ({"start": "9999-12-01", "days": "2500"}, "en", {"days": ["The deadline would fall after the year 9999."]}),
    ],
)
def test_bad_input_gets_a_400_naming_the_problem(client, query, language, body):
    response = client.get(URL, query, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json() == body


def test_the_openapi_schema_describes_the_endpoint():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("zhengtong.kernel.calendar.api_urls"))])

    schema = generator.get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/calendar/working-deadline"]["get"]
    assert operation["operationId"] == "calendar_working_deadline"
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("days", "query", True),
        ("start", "query", True),
    ]
    assert set(operation["responses"]) == {"200", "400"}
    assert {} in operation["security"]  # anyone, with or without credentials
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WorkingDeadline"
    }
