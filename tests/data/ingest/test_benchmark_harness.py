"""The ingest benchmark's harness at a tiny size: the generator plants exactly the failures it
claims, every peer finds exactly them, and a tool that disagrees fails the run."""

import csv

import pytest

from zhengtong.data.ingest import benchmarks
from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse

ROWS = 3_000

EXPECTED_3000 = {
    "required:resident_id": 3,
    "unique:resident_id": 6,  # three planted repeats, each failing with the row it repeats
    "resident_id:resident_id": 30,  # 1%
    "required:name": 3,
    "date:birth_date": 3,
    "enum:gender": 3,
    "pattern:mobile": 3,
    "required:address": 3,
    "range:amount": 3,
    "enum:status": 3,
}


@pytest.fixture(scope="module")
def persons_csv(tmp_path_factory):
    return benchmarks.persons_csv_generate(tmp_path_factory.mktemp("bench") / "persons.csv", ROWS)


def test_the_generator_plants_what_it_claims(persons_csv):
    assert benchmarks.expected_failures(ROWS) == EXPECTED_3000
    assert benchmarks.expected_problem_rows(ROWS) == 60
    # Not a multiple of the 1,000-row cycle: only the residues already reached count.
    assert benchmarks.expected_failures(1_022)["unique:resident_id"] == 4
    assert benchmarks.expected_failures(1_021)["unique:resident_id"] == 2
    with persons_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ROWS
    assert list(rows[0]) == [f["name"] for f in benchmarks.DESCRIPTOR["fields"]]
    # Independently of every tool: kernel.ids agrees on which IDs are wrong.
    wrong = 0
    for row in rows:
        if row["resident_id"]:
            try:
                resident_id_parse(row["resident_id"])
            except IdValidationError:
                wrong += 1
    assert wrong == EXPECTED_3000["resident_id:resident_id"]
    ids = [row["resident_id"] for row in rows if row["resident_id"]]
    assert len(ids) - len(set(ids)) == 3


def test_the_same_size_generates_the_same_bytes(persons_csv, tmp_path):
    again = benchmarks.persons_csv_generate(tmp_path / "again.csv", ROWS)
    assert again.read_bytes() == persons_csv.read_bytes()


@pytest.mark.parametrize("peer", [benchmarks.polars_validate, benchmarks.pandera_validate])
def test_polars_and_pandera_find_exactly_the_planted_failures(peer, persons_csv):
    outcome = peer(persons_csv)
    assert outcome.rows == ROWS
    assert outcome.failures == EXPECTED_3000
    assert outcome.problem_rows == 60


def test_frictionless_finds_the_planted_failures_it_can_express(persons_csv):
    outcome = benchmarks.frictionless_validate(persons_csv)
    assert outcome.rows == ROWS
    assert outcome.failures == {**EXPECTED_3000, "resident_id:resident_id": -1}


def test_the_bare_scan_counts_the_rows(persons_csv):
    assert benchmarks.duckdb_scan(persons_csv).rows == ROWS


def test_a_tool_that_disagrees_fails_the_run_loudly():
    figures = {"tool": "polars", "rows": ROWS, "failures": {**EXPECTED_3000, "enum:status": 2}, "problem_rows": 60}
    with pytest.raises(benchmarks.FailureCountMismatch, match="enum:status: expected 3, polars found 2"):
        benchmarks._check_counts(figures, ROWS)
    extra = {**figures, "failures": {**EXPECTED_3000, "type:amount": 1}}
    with pytest.raises(benchmarks.FailureCountMismatch, match="type:amount"):
        benchmarks._check_counts(extra, ROWS)
    benchmarks._check_counts({**figures, "failures": EXPECTED_3000}, ROWS)  # agreeing passes


def test_a_child_process_reports_time_counts_and_peak_memory(persons_csv):
    figures = benchmarks._child(None, "polars", str(persons_csv), 1)
    assert figures["failures"] == EXPECTED_3000
    assert figures["seconds"] > 0 and figures["peak_rss_kb"] >= 10_000


def test_zhengtong_validation_finds_exactly_the_planted_failures(db, persons_csv):
    pytest.importorskip("zhengtong.data.ingest.public")
    benchmarks.zhengtong_dataset_prepare()
    outcome = benchmarks.zhengtong_validate(persons_csv)
    assert outcome.rows == ROWS
    assert {code: n for code, n in outcome.failures.items() if n} == EXPECTED_3000
    assert outcome.problem_rows == 60


def test_the_peers_check_ids_and_dates_as_the_rule_does(db, tmp_path):
    """Fair peers: Polars and pandera make the checks Zhengtong's rules make, not fewer (Polars'
    own date parser takes 2024-2-9; a check character alone passes a made-up province)."""
    import polars as pl

    from zhengtong.data.catalog.public import FieldSpec, RuleSpec, SchemaSpec
    from zhengtong.data.ingest.public import validate_source
    from zhengtong.data.ingest.rules_sql import RESIDENT_ID_PROVINCES

    from .conftest import rid, rid_bad

    assert tuple(benchmarks.PROVINCES) == RESIDENT_ID_PROVINCES
    valid_x = next(v for v in (rid("330106", "19900101", f"{n:03d}") for n in range(200)) if v.endswith("X"))
    ids = [rid("330106", "19900101", "001"), rid_bad("330106", "19900101", "002"), valid_x, valid_x[:-1] + "x",
           rid("990106", "19900101", "003"), rid("330106", "20990101", "004"), rid("330106", "20230229", "005"),
           rid("330106", "20240229", "006"), rid("330106", "18991231", "007"), "33010619900101001A"]
    dates = ["2024-02-09", "2024-2-9", " 2024-02-01", "2024-02-30", "24-01-01", "+2024-02-09", "2023-02-29",
             "2024-02-29", "2024-13-01", "2024-02-09x"]
    schema = SchemaSpec(dataset_id=0, version=1, fields=(FieldSpec("id", "string"), FieldSpec("day", "date")),
                        primary_key=(), missing_values=("",))
    path = tmp_path / "tricky.csv"
    path.write_text("id,day\n" + "".join(f'{i},"{d}"\n' for i, d in zip(ids, dates)), encoding="utf-8")
    rules = [RuleSpec("id", "resident_id", "id"), RuleSpec("day", "date", "day")]
    ours = validate_source(schema=schema, rules=rules, source=path).per_rule
    frame = pl.DataFrame({"id": ids, "day": dates}).lazy()
    theirs = (
        benchmarks._polars_with_id_body(frame, "id")
        .select(bad_id=~benchmarks._polars_resident_id_ok("id"), bad_day=~benchmarks._polars_real_date("day"))
        .collect()
    )
    assert ours == {"id": theirs["bad_id"].sum(), "day": theirs["bad_day"].sum()} == {"id": 6, "day": 8}
