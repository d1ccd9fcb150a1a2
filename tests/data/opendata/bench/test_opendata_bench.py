"""The open-data benchmark's harness (`zhengtong bench opendata`) at a small scale: counts and
shapes, not speed.

The generated catalog and rides, the bulk build searched through the portal's selector and the
result rows run on either database; the whole harness (scratch database, the child, every
measurement) runs when the suite runs on PostgreSQL, which the benchmark needs.
"""

import os
import urllib.parse
from datetime import date

import psycopg
import pytest

from zhengtong.bench import BenchmarkResult
from zhengtong.data.opendata import benchmarks
from zhengtong.data.opendata.models import OpenDataset, OpenDatasetTag
from zhengtong.data.opendata.selectors import OpenFilters, open_dataset_search

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

DEPARTMENTS = [("330106-SJ", "market_regulation", "西湖区市场监督管理局"),
               ("330106-ZJ", "housing", "西湖区住房和城乡建设局"),
               ("330106-DSJ", "big_data", "西湖区数据资源管理局"),
               ("330106-XX", "no_such_kind", "不发布开放数据的部门")]


def test_the_generated_catalog_is_the_same_for_a_seed_and_spread_over_departments_that_publish():
    first = benchmarks.catalog_entries(count=300, departments=DEPARTMENTS, seed=7)
    again = benchmarks.catalog_entries(count=300, departments=DEPARTMENTS, seed=7)
    other = benchmarks.catalog_entries(count=300, departments=DEPARTMENTS, seed=8)
    assert first == again
    assert [e.title for e in first] != [e.title for e in other]
    assert len({e.resource_code for e in first}) == 300
    assert len({e.public_id for e in first}) == 300
    # Round robin over the three departments of a publishing kind; the fourth publishes nothing.
    assert [sum(e.department_index == n for e in first) for n in range(4)] == [100, 100, 100, 0]
    assert first[0].resource_code == "330106-SJ-80001" and first[1].resource_code == "330106-ZJ-80001"
    subjects = {s.words: s for s in benchmarks.SUBJECTS}
    for entry in first:
        code, kind, place = DEPARTMENTS[entry.department_index]
        assert entry.resource_code.startswith(code + "-8")
        subject = next(s for w, s in subjects.items() if entry.title.startswith(place + w))
        assert subject.kind == kind and entry.theme == subject.theme and entry.keywords == subject.keywords
        assert entry.description.startswith(f"{place}发布的{subject.words}")
        assert entry.tier in ("open", "on_application")
        assert entry.licence in benchmarks.LICENCES and entry.update_cycle in benchmarks.CYCLE_WORDS
    on_application = sum(e.tier == "on_application" for e in first)
    with_data = sum(e.row_count is not None for e in first)
    assert 20 <= on_application <= 70  # about 15%
    assert 200 <= with_data <= 280  # about 80%


def test_a_catalog_needs_a_department_that_publishes():
    with pytest.raises(ValueError, match="no department"):
        benchmarks.catalog_entries(count=3, departments=[("330106-XX", "no_such_kind", "某部门")])


def test_the_rides_are_ordered_ids_over_ten_districts_with_rising_dates(tmp_path):
    import duckdb

    path = tmp_path / "rides.parquet"
    with duckdb.connect() as con:
        con.execute(benchmarks.rides_sql(20_000, str(path)))
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        assert [(row[0], row[1]) for row in described] == [
            ("id", "BIGINT"), ("district", "VARCHAR"), ("station_kind", "VARCHAR"), ("ride_date", "DATE"),
            ("duration_minutes", "DOUBLE"), ("station_name", "VARCHAR")]
        assert [f["name"] for f in benchmarks.BIG_DESCRIPTOR["fields"]] == [row[0] for row in described]
        count, first, last, distinct, districts, kinds, earliest, latest = con.execute(
            f"SELECT count(*), min(id), max(id), count(DISTINCT id), list(DISTINCT district ORDER BY district), "
            f"list(DISTINCT station_kind ORDER BY station_kind), min(ride_date), max(ride_date) "
            f"FROM read_parquet('{path}')").fetchone()
        assert (count, first, last, distinct) == (20_000, 1, 20_000, 20_000)
        assert districts == sorted(benchmarks.DISTRICTS)
        assert kinds == sorted(benchmarks.STATION_KINDS)
        assert earliest == date(2024, 1, 1) and latest == date(2025, 12, 31)
        # In file order the ids rise by one and the dates never fall: the served copy's key order.
        assert con.execute(f"SELECT bool_and(id = rn) FROM (SELECT id, row_number() OVER () AS rn "
                           f"FROM read_parquet('{path}'))").fetchone()[0] is True
        assert con.execute(f"SELECT count(*) FROM (SELECT ride_date < lag(ride_date) OVER (ORDER BY id) AS fell "
                           f"FROM read_parquet('{path}')) WHERE fell").fetchone()[0] == 0
        smallest_district = con.execute(f"SELECT min(c) FROM (SELECT count(*) AS c FROM read_parquet('{path}') "
                                        "GROUP BY district)").fetchone()[0]
        assert smallest_district > 1500  # each of the 10 codes holds about a tenth


def test_the_percentile_is_the_nearest_rank():
    samples = [float(n) for n in range(1, 101)]
    assert benchmarks.percentile(samples, 0.95) == 95.0
    assert benchmarks.percentile(samples, 0.5) == 50.0
    assert benchmarks.percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert benchmarks.percentile([4.0], 0.5) == 4.0
    with pytest.raises(ValueError):
        benchmarks.percentile([], 0.5)


def test_the_bare_search_is_the_same_filter_as_one_select():
    sql, params = benchmarks.bare_search_sql("杭州 公交", "res_format:CSV")
    assert sql == ("SELECT * FROM opendata_opendataset WHERE (title LIKE %s OR description LIKE %s) AND "
                   "(title LIKE %s OR description LIKE %s) AND formats LIKE %s "
                   "ORDER BY metadata_modified DESC, resource_code LIMIT 20")
    assert params == ["%杭州%", "%杭州%", "%公交%", "%公交%", "%CSV%"]
    assert benchmarks.bare_search_sql("", "") == (
        "SELECT * FROM opendata_opendataset ORDER BY metadata_modified DESC, resource_code LIMIT 20", [])


def test_the_bulk_catalog_is_public_and_found_by_the_portals_search(departments):
    timings = benchmarks.open_catalog_build(count=60, seed=3)
    assert set(timings) == {"rows_seconds", "index_seconds"}
    assert OpenDataset.objects.count() == 60
    entries = benchmarks.catalog_entries(
        count=60, seed=3, departments=[(d.code, d.kind, d.name) for d in sorted(departments.values(), key=lambda d: d.code)])
    by_code = {e.resource_code: e for e in entries}
    assert set(OpenDataset.objects.values_list("resource_code", flat=True)) == set(by_code)
    assert OpenDatasetTag.objects.count() == sum(len(e.keywords) for e in entries)
    one = OpenDataset.objects.get(resource_code=entries[0].resource_code)
    assert (one.title, one.tier, one.name) == (entries[0].title, entries[0].tier, entries[0].resource_code.lower())
    assert one.formats == ("CSV,JSON,Parquet,XLSX" if entries[0].row_count is not None else "")

    # Every dataset is in the search index as the sync would index it: a word of its subject finds it.
    for entry in entries[:12]:
        word = next(s.words for s in benchmarks.SUBJECTS if s.words in entry.title)
        found = open_dataset_search(query=word, limit=100, with_facets=False)
        assert entry.resource_code in {r.resource_code for r in found.results}
    page = open_dataset_search(query="", limit=5)
    assert page.total == 60
    department_facet = next(f for f in page.facets if f.name == "department")
    assert sum(v.count for v in department_facet.values) == 60
    csv_only = open_dataset_search(query="", filters=OpenFilters(format=("CSV",)), limit=100, with_facets=False)
    assert csv_only.total == sum(e.row_count is not None for e in entries)


def _figures() -> dict:
    def summary(n, p50, p95):
        return {"n": n, "p50_ms": p50, "p95_ms": p95, "max_ms": p95 + 1}

    return {
        "params": {"datasets": 10_000}, "public_datasets": 10_001, "engine": "PostgreSQL 15.20",
        "catalog": {"rows_seconds": 3.0, "index_seconds": 40.0},
        "big": {"rows": 5_000_000, "generate_seconds": 1.7, "load_seconds": 12.0, "serve_seconds": 9.0,
                "served_bytes": 60 * 2**20},
        "load_before": 1.0, "load_before_measuring": 1.5, "load_after_measuring": 2.0, "total_seconds": 200.0,
        "search": {"via": "http", "queries": 11, "subject": summary(220, 30.0, 80.0),
                   "baseline": summary(220, 2.0, 4.0), "matches": {"食品|": 241, "|res_format:CSV": 8000},
                   "per_query_p50_ms": {"食品|": 31.0, "|res_format:CSV": 45.4}},
        "records": {"via": "http", "limit": 100, "first_page_per_filter": summary(10, 30.0, 70.0), "depths": {
            "0": {"subject": summary(60, 5.0, 9.0), "baseline": summary(60, 2.0, 3.0), "rows": 100,
                  "mismatched_pages": 0},
            "4900000": {"subject": summary(60, 20.0, 60.0), "baseline": summary(60, 4.0, 6.0), "rows": 100,
                        "mismatched_pages": 2}}},
        "downloads": {"rows": 5_000_000,
                      "csv": {"subject_seconds": 4.0, "baseline_seconds": 1.0, "bytes": 300 * 2**20, "rounds": 2},
                      "parquet": {"subject_seconds": 0.5, "baseline_seconds": 1.0, "bytes": 60 * 2**20, "rounds": 2}},
    }


def test_the_results_are_four_rows_with_ratios_targets_and_verdicts():
    results = benchmarks.results_from(_figures())
    assert [r.name for r in results] == ["opendata_search", "opendata_records", "opendata_download_csv",
                                         "opendata_download_parquet"]
    assert all(isinstance(r, BenchmarkResult) for r in results)
    search, records, csv_row, parquet_row = results
    assert (search.subject_seconds, search.baseline_seconds) == (0.08, 0.004)
    assert search.ratio == pytest.approx(20.0)
    assert "Target p95 < 100 ms: met" in search.notes and search.subject.startswith("CKAN package_search")
    assert "Median per query: no q fq=res_format:CSV 45 ms (8,000 matches), q=食品 31 ms (241 matches). " in search.notes
    # The slowest depth decides the row, and one depth over the target misses it.
    assert (records.subject_seconds, records.baseline_seconds) == (0.06, 0.006)
    assert "depths 0, 4,900,000 of 5,000,000 rows" in records.work
    assert "Target p95 < 50 ms at every depth: MISSED" in records.notes
    assert "(2 pages differed from the baseline's)" in records.notes
    assert "The first page of each of the 10 filters" in records.notes and "p50 30.0 ms, max 71.0 ms" in records.notes
    assert csv_row.ratio == 4.0 and "0.25 of its rate, target >= 0.5: MISSED" in csv_row.notes
    assert parquet_row.ratio == 0.5 and "2.00 of its rate, target >= 0.5: met" in parquet_row.notes
    assert "Whole run 200 s." in parquet_row.notes


def test_the_results_say_when_the_apis_were_not_there_yet():
    figures = _figures()
    figures["search"]["via"] = figures["records"]["via"] = "selector"
    search, records, *_ = benchmarks.results_from(figures)
    assert search.subject == "selectors.open_dataset_search with facets (the CKAN API was not ready)"
    assert records.subject.startswith("records.records_page(") and "not ready" in records.subject


def _database_exists(name: str) -> bool:
    server = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the whole harness runs on PostgreSQL (DATABASE_URL), as the benchmark")
def test_the_whole_harness_at_a_small_scale_measures_everything_and_leaves_nothing_behind():
    figures = benchmarks.measure(datasets=50, rows=20_000, search_rounds=1, record_samples=4, download_rounds=1,
                                 server_url=os.environ["DATABASE_URL"])
    assert figures["public_datasets"] == 51  # the generated ones and the rides
    assert figures["search"]["via"] == figures["records"]["via"] == "http"  # the real APIs, not the selectors
    assert figures["big"]["rows"] == 20_000 and figures["big"]["problem_rows"] == 0
    assert figures["search"]["subject"]["n"] == figures["search"]["baseline"]["n"] == len(benchmarks.SEARCH_QUERIES)
    assert figures["search"]["matches"]["|"] == 51  # the browse without words counts every public dataset
    depths = figures["records"]["depths"]
    assert sorted(depths, key=int) == ["0", "4000", "10000", "19600"]
    assert figures["records"]["first_page_per_filter"]["n"] == len(benchmarks.DISTRICTS)
    assert set(figures["search"]["per_query_p50_ms"]) == {f"{q}|{fq}" for q, fq in benchmarks.SEARCH_QUERIES}
    for depth, measured in depths.items():
        assert measured["subject"]["n"] == measured["baseline"]["n"] == 4
        assert measured["mismatched_pages"] == 0
    assert depths["0"]["rows"] == 100 and 0 < depths["19600"]["rows"] < 100
    downloads = figures["downloads"]
    assert downloads["rows"] == 20_000 and downloads["csv"]["bytes"] > downloads["parquet"]["bytes"] > 0
    assert 0 < downloads["csv.gz"]["bytes"] < downloads["csv"]["bytes"]
    assert not _database_exists(figures["scratch"]["database"])
    assert not os.path.exists(figures["scratch"]["home"])

    results = benchmarks.results_from(figures)
    assert [r.name for r in results] == ["opendata_search", "opendata_records", "opendata_download_csv",
                                         "opendata_download_parquet"]
    for result in results:
        assert result.subject_seconds > 0 and result.baseline_seconds > 0 and result.ratio > 0
        assert result.target
    assert "51 public datasets" in results[0].notes
    assert "A client that accepts gzip" in results[2].notes
