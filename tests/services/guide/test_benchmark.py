"""The service-search benchmark (`zhengtong bench service_search`) at a small scale: shapes and
counts, not speed. The whole harness (scratch database, child process, measurements, report row)
runs on the database the suite runs on."""

import json
import os

from django.core.management import call_command

from zhengtong.services.guide import benchmarks
from zhengtong.services.guide.models import ItemImplementation, Material, ServiceItem
from zhengtong.services.guide.selectors import item_search

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
COUNTIES = ["330106", "330108", "330203"]


def test_the_generated_catalogue_is_the_same_for_a_seed():
    first = benchmarks.catalogue_entries(count=90, counties=COUNTIES, seed=7)
    assert first == benchmarks.catalogue_entries(count=90, counties=COUNTIES, seed=7)
    assert first != benchmarks.catalogue_entries(count=90, counties=COUNTIES, seed=8)
    assert len({e["code"] for e in first}) == 90
    kinds = sorted(benchmarks.SUBJECTS)
    for number, entry in enumerate(first):
        objects, themes, serving = benchmarks.SUBJECTS[entry["kind"]]
        assert entry["kind"] == kinds[number % len(kinds)]
        assert any(entry["name"].startswith(o) for o in objects) and entry["theme"] in themes
        assert entry["serving"] == serving
        assert entry["places"] and all(p[:4] in {c[:4] for c in COUNTIES} or p == "330000" for p in entry["places"])


def test_the_built_catalogue_is_searchable(small_province):
    figures = benchmarks.catalogue_build(count=45, seed=3)
    assert (figures["items"], ServiceItem.objects.count()) == (45, 45)
    assert figures["implementations"] == ItemImplementation.objects.filter(status="published").count() > 0
    assert Material.objects.count() == 2 * figures["implementations"]
    # Every item the search finds in a county is one of its implementations' there or above.
    result = item_search(query="登记", division_code="330106")
    assert result.total > 0
    for found in result.results:
        assert found.implementation.division_code in ("330106", "330100", "330000")


def test_percentile_is_nearest_rank():
    assert benchmarks.percentile([0.05, 0.01, 0.02, 0.03, 0.04], 0.95) == 0.05
    assert benchmarks.percentile([0.01] * 19 + [1.0], 0.95) == 0.01


def test_zhengtong_bench_service_search_runs_small_and_writes_its_row(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHENGTONG_SERVICE_SEARCH_ITEMS", "60")
    monkeypatch.setenv("ZHENGTONG_SERVICE_SEARCH_ROUNDS", "1")
    monkeypatch.setenv("ZHENGTONG_SERVICE_SEARCH_ENGINE", "postgresql" if ON_POSTGRESQL else "sqlite")
    report = tmp_path / "benchmarks.md"
    call_command("bench", "service_search", output=str(report))
    (entry,) = json.loads(report.with_suffix(".json").read_text())["results"]
    assert entry["name"] == "service_search"
    assert entry["work"] == "10 searches (10 queries) over 60 items; p95 of each side"
    assert entry["target"] == "p95 < 50 ms"
    assert entry["subject_seconds"] > 0 and entry["baseline_seconds"] > 0
    assert ("PostgreSQL" if ON_POSTGRESQL else "sqlite") in entry["notes"]
    assert "| service_search |" in report.read_text()
