"""The probabilistic pass on Spark (local mode), with the same settings as on DuckDB.

Spark takes seconds to start: one session for the module (probabilistic.spark_session keeps it),
and a tiny population."""

import duckdb
import pytest

from zhengtong.data.registry.linkage import linkage_run
from zhengtong.data.registry.linkage.evaluate import evaluate
from zhengtong.data.registry.linkage.synthetic import config_for, population_write

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return population_write(tmp_path_factory.mktemp("tiny"), persons=200, seed=11)


def test_spark_backend_links_like_duckdb(tiny, tmp_path):
    on_spark = linkage_run(config_for(tiny, tmp_path / "spark", backend="spark"))
    on_duckdb = linkage_run(config_for(tiny, tmp_path / "duckdb"))
    assert on_spark.report["probabilistic"]["backend"] == "spark"
    assert on_spark.report["probabilistic"]["unplaced_records"] == on_duckdb.report["probabilistic"]["unplaced_records"] > 0
    spark_scores = evaluate(on_spark.clusters_path, tiny.truth)
    duckdb_scores = evaluate(on_duckdb.clusters_path, tiny.truth)
    assert spark_scores["pairs"]["precision"] >= 0.98 and spark_scores["pairs"]["recall"] >= 0.95
    # Same settings, same seed; sampling differs between engines, so allow a little drift.
    assert abs(spark_scores["pairs"]["f1"] - duckdb_scores["pairs"]["f1"]) <= 0.02
    columns = [c[0] for c in duckdb.execute(f"DESCRIBE SELECT * FROM read_parquet('{on_spark.pairs_path}')").fetchall()]
    assert columns == ["left_record_id", "right_record_id", "match_probability", "match_pass", "status"]
