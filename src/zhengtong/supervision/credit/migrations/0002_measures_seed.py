"""The measures of DOMAIN.md with their legal bases (data/measures.json)."""

import json
from pathlib import Path

from django.db import migrations

MEASURES = Path(__file__).resolve().parent.parent / "data" / "measures.json"


def seed(apps, schema_editor):
    JointMeasure = apps.get_model("credit", "JointMeasure")
    for row in json.loads(MEASURES.read_text(encoding="utf-8")):
        code = row.pop("code")
        JointMeasure.objects.update_or_create(code=code, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
