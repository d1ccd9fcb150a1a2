"""linkage_run end to end: deterministic merges, probabilistic links, clerical decisions, outputs."""

import json

import duckdb
import pytest

from zhengtong.data.registry.linkage import ClericalDecision, LinkageConfig, SourceSpec, linkage_run
from zhengtong.data.registry.linkage.evaluate import evaluate

from .conftest import write_csv

COLUMNS = {"resident_id": "sfzh", "name": "xm", "birth_date": "csrq", "gender": "xb", "mobile": "sj", "address": "dz"}
HEADER = "id,sfzh,xm,csrq,xb,sj,dz"


def two_sources(tmp_path, a_rows, b_rows):
    a = write_csv(tmp_path / "a.csv", HEADER, *a_rows)
    b = write_csv(tmp_path / "b.csv", HEADER, *b_rows)
    return LinkageConfig(kind="person", output=tmp_path / "out", sources=(
        SourceSpec(name="a", key="id", columns=COLUMNS, path=a), SourceSpec(name="b", key="id", columns=COLUMNS, path=b)))


def clusters_of(result):
    return dict(duckdb.execute(f"SELECT record_id, cluster_id FROM read_parquet('{result.clusters_path}')").fetchall())


def pairs_of(result):
    return {(l, r): (p, m, s) for l, r, p, m, s in duckdb.execute(
        f"SELECT * FROM read_parquet('{result.pairs_path}')").fetchall()}


def test_records_sharing_a_valid_id_are_one_cluster_and_a_legacy_id_is_the_same_id(tmp_path):
    config = two_sources(tmp_path, [
        "1,11010519491231002X,王芳,1949-12-31,女,13800001111,北京",
        "2,330106199001011230,李强,1990-01-01,男,,杭州市西湖区文三路1号",
    ], [
        "7,110105491231002,王 芳,19491231,F,,",  # the 15-digit form of the same ID
        "8,110105194912310021,王芳,1949-12-31,女,13800001111,北京",  # wrong check character: not deterministic
        "9,330106199001011249,张伟,1990-01-01,男,,",  # another (invalid) ID, another person
    ])
    result = linkage_run(config)
    clusters = clusters_of(result)
    assert clusters["a:1"] == clusters["b:7"] == "a:1"
    pairs = pairs_of(result)
    assert pairs[("a:1", "b:7")] == (1.0, "deterministic", "link")
    assert clusters["a:2"] == "a:2" and clusters["b:9"] == "b:9"
    records = duckdb.execute(f"SELECT record_id, resident_id, id_valid, id_converted FROM read_parquet('{result.records_path}') "
                             "ORDER BY 1").fetchall()
    assert records[2] == ("b:7", "11010519491231002X", True, True)
    assert records[3] == ("b:8", "110105194912310021", False, False)
    report = json.loads((result.output / "report.json").read_text())
    assert report["legacy_ids_converted"] == 1 and report["records"] == 5
    assert set(p.name for p in result.output.iterdir()) == {"records.parquet", "pairs.parquet", "clusters.parquet", "report.json"}


def test_probabilistic_links_on_a_corrupted_population(population, linked):
    """2,000 persons, four departments, every kind of dirt at the generator's default rates."""
    scores = evaluate(linked.clusters_path, population.truth)
    assert scores["pairs"]["precision"] >= 0.99
    assert scores["pairs"]["recall"] >= 0.98
    assert scores["clusters"]["bcubed_f1"] >= 0.99
    report = linked.report
    assert report["probabilistic"]["unplaced_records"] > 200  # the dirt left work for the model
    assert report["links_by_pass"]["probabilistic"] > 200


def test_records_with_no_usable_id_are_placed_by_the_model(population, linked):
    """Records whose ID is missing or has a wrong check character, joined to their person's cluster."""
    con = duckdb.connect()
    (placed, total) = con.execute(f"""
    WITH t AS (SELECT * FROM read_parquet('{population.truth}')),
         c AS (SELECT * FROM read_parquet('{linked.clusters_path}')),
         r AS (SELECT * FROM read_parquet('{linked.records_path}')),
         person_cluster AS (SELECT t.person_id, mode(c.cluster_id) AS cluster_id FROM t JOIN c USING (record_id)
                            JOIN r USING (record_id) WHERE r.id_valid GROUP BY 1)
    SELECT count(*) FILTER (WHERE c.cluster_id = pc.cluster_id), count(*)
    FROM r JOIN t USING (record_id) JOIN c USING (record_id) JOIN person_cluster pc USING (person_id)
    WHERE NOT r.id_valid
    """).fetchone()
    assert total > 100
    assert placed / total >= 0.95


def test_clerical_decisions_override_the_model(population, linked, tmp_path):
    from zhengtong.data.registry.linkage.synthetic import config_for

    con = duckdb.connect()
    link = con.execute(f"SELECT left_record_id, right_record_id FROM read_parquet('{linked.pairs_path}') "
                       "WHERE match_pass = 'probabilistic' AND status = 'link' ORDER BY 1 LIMIT 1").fetchone()
    det = con.execute(f"SELECT left_record_id, right_record_id FROM read_parquet('{linked.pairs_path}') "
                      "WHERE match_pass = 'deterministic' ORDER BY 1 LIMIT 1").fetchone()
    clusters = clusters_of(linked)
    apart = next((a, b) for a in sorted(clusters)[:50] for b in sorted(clusters)[50:100] if clusters[a] != clusters[b])
    decisions = [
        ClericalDecision(left_record_id=link[1], right_record_id=link[0], accepted=False),  # either order
        ClericalDecision(left_record_id=det[0], right_record_id=det[1], accepted=False),
        ClericalDecision(left_record_id=apart[0], right_record_id=apart[1], accepted=True),
    ]
    rerun = linkage_run(config_for(population, tmp_path / "rerun"), decisions=decisions)
    pairs, clusters = pairs_of(rerun), clusters_of(rerun)
    assert pairs[tuple(sorted(link))] == (0.0, "clerical", "rejected")
    assert pairs[tuple(sorted(det))] == (0.0, "clerical", "rejected")
    assert pairs[tuple(sorted(apart))] == (1.0, "clerical", "link")
    assert clusters[apart[0]] == clusters[apart[1]]
    assert clusters[det[0]] != clusters[det[1]]
    assert rerun.report["decisions_applied"] == 3
    assert rerun.report["rejected_pairs_still_in_one_cluster"] == 0 or clusters[link[0]] != clusters[link[1]]


def test_pairs_between_thresholds_go_to_review_not_links(population, tmp_path):
    from zhengtong.data.registry.linkage.synthetic import config_for

    result = linkage_run(config_for(population, tmp_path / "strict", match_threshold=0.999999, review_threshold=0.5))
    con = duckdb.connect()
    rows = con.execute(f"SELECT status, min(match_probability), max(match_probability) FROM read_parquet('{result.pairs_path}') "
                       "WHERE match_pass = 'probabilistic' GROUP BY 1").fetchall()
    for status, low, high in rows:
        if status == "review":
            assert 0.5 <= low and high < 0.999999
        else:
            assert status == "link" and low >= 0.999999
    (review,) = con.execute(f"SELECT count(*) FROM read_parquet('{result.pairs_path}') WHERE status = 'review'").fetchone()
    assert result.pairs_for_review == review == result.report["pairs"]["review"]


def test_the_same_input_gives_the_same_clusters(population, linked, tmp_path):
    from zhengtong.data.registry.linkage.synthetic import config_for

    again = linkage_run(config_for(population, tmp_path / "again"))
    assert clusters_of(again) == clusters_of(linked)


def test_each_pair_is_written_once_smaller_record_first(linked):
    """The passes' pairs are concatenated, not grouped (engine._pairs_table): that holds only if no
    pair comes from both passes or twice from one."""
    (pairs, distinct, misordered) = duckdb.execute(f"""
    SELECT count(*), count(DISTINCT (left_record_id, right_record_id)), count(*) FILTER (WHERE left_record_id >= right_record_id)
    FROM read_parquet('{linked.pairs_path}')
    """).fetchone()
    assert pairs == distinct and misordered == 0
    assert pairs > linked.report["deterministic_pairs"]
