"""The OpenAPI document describes every API without a warning (undescribed auth, clashing names…)."""

from io import StringIO

import yaml
from django.core.management import call_command


def test_the_schema_validates_with_no_warning(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert {"ApiKey", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    for path in ("/api/v1/ids/validate", "/api/v1/ledger/tree-head", "/api/v1/loops/cases/",
                 "/api/v1/calendar/working-deadline", "/api/v1/me", "/api/v1/divisions/"):
        assert path in schema["paths"], path
