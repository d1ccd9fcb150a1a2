"""`linkage_run`: one linkage run, in the order spec.py states, on one in-process DuckDB.

The tables of a run (all TEMP in one DuckDB connection):
    _raw          every source's rows, mapped columns under canonical names (normalise.py)
    records       normalised records (normalise.py)
    _det_pairs    the deterministic pass's pairs (deterministic.py)
    _det_clusters connected components of the deterministic pairs
    _prob_pairs   the probabilistic pass's scored pairs (probabilistic.py)
    _decisions    clerical decisions, each pair with its smaller record id on the left
    _pairs        what pairs.parquet holds
    _clusters     what clusters.parquet holds
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .components import connected_components
from .config import config_check
from .deterministic import deterministic_pass
from .normalise import quote_ident, records_build, sql_text
from .spec import ClericalDecision, LinkageConfig, LinkageResult

Progress = Callable[[str, int, int], None]
STEPS = ("normalise", "deterministic", "probabilistic", "decisions", "clusters", "write")


def _connect(config: LinkageConfig):
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    if config.memory_limit:
        con.execute(f"SET memory_limit = {sql_text(config.memory_limit)}")
    threads = os.environ.get("ZHENGTONG_LINK_THREADS")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _decisions_table(con, decisions: Iterable[ClericalDecision]) -> int:
    import pyarrow as pa

    rows: dict[tuple[str, str], bool] = {}
    for decision in decisions:
        left, right = sorted((decision.left_record_id, decision.right_record_id))
        if left != right:
            rows[(left, right)] = decision.accepted  # the last decision on a pair stands
    con.execute("SELECT 1").fetchall()  # finish any open result first (DuckDB 2)
    con.register("_decisions_batch", pa.table({
        "left_record_id": pa.array([k[0] for k in rows], pa.string()),
        "right_record_id": pa.array([k[1] for k in rows], pa.string()),
        "accepted": pa.array(list(rows.values()), pa.bool_()),
    }))
    # Decisions about records this run does not hold are kept out (a source may have left the run).
    con.execute("""
    CREATE OR REPLACE TEMP TABLE _decisions AS
    SELECT d.* FROM _decisions_batch d
    WHERE d.left_record_id IN (SELECT record_id FROM records) AND d.right_record_id IN (SELECT record_id FROM records)
    """)
    con.unregister("_decisions_batch")
    return con.execute("SELECT count(*) FROM _decisions").fetchone()[0]


def _pairs_table(con, config: LinkageConfig, *, decided: int) -> None:
    """Every candidate pair once (smaller record id left), the clerical decision overriding the
    model, thresholds applied. A rejected pair inside a deterministic group (two records sharing a
    valid identifier that an officer says are two entities) also takes the deterministic edges of
    its larger record out, so the decision holds for the clusters, not only for the pair.

    The two passes never propose the same pair, and neither proposes one twice: a deterministic
    pair joins two members of one group, while Splink compares the unplaced records with each other
    and with one representative per group (whose id is the group's smallest record), each pair once
    across its blocking rules. So the passes' pairs are concatenated, not grouped (grouping two
    million pairs by two strings cost about a second at a million persons)."""
    det_filter = "" if not decided else """
      WHERE left_record_id NOT IN (SELECT record_id FROM split_off)
        AND right_record_id NOT IN (SELECT record_id FROM split_off)"""
    model = f"""
      SELECT least(left_record_id, right_record_id) AS l, greatest(left_record_id, right_record_id) AS r,
             1.0 AS p, true AS det FROM _det_pairs {det_filter}
      UNION ALL
      SELECT least(left_record_id, right_record_id), greatest(left_record_id, right_record_id), match_probability, false
      FROM _prob_pairs WHERE match_probability >= {config.review_threshold}
    """
    if not decided:
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pairs AS
        SELECT l AS left_record_id, r AS right_record_id, p AS match_probability,
               CASE WHEN det THEN 'deterministic' ELSE 'probabilistic' END AS match_pass,
               CASE WHEN det OR p >= {config.match_threshold} THEN 'link' ELSE 'review' END AS status
        FROM ({model})
        """)
        return
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _pairs AS
    WITH rejected AS (SELECT left_record_id, right_record_id FROM _decisions WHERE NOT accepted),
    split_off AS (  -- the larger record of a rejected pair whose records share a valid identifier
      SELECT DISTINCT r.right_record_id AS record_id FROM rejected r
      JOIN _det_clusters a ON a.record_id = r.left_record_id
      JOIN _det_clusters b ON b.record_id = r.right_record_id AND b.cluster_id = a.cluster_id
    ),
    model AS ({model})
    SELECT coalesce(m.l, d.left_record_id) AS left_record_id, coalesce(m.r, d.right_record_id) AS right_record_id,
           CASE WHEN d.accepted THEN 1.0 WHEN d.accepted = false THEN 0.0 ELSE m.p END AS match_probability,
           CASE WHEN d.accepted IS NOT NULL THEN 'clerical' WHEN m.det THEN 'deterministic' ELSE 'probabilistic' END
               AS match_pass,
           CASE WHEN d.accepted THEN 'link' WHEN d.accepted = false THEN 'rejected'
                WHEN m.det OR m.p >= {config.match_threshold} THEN 'link' ELSE 'review' END AS status
    FROM model m FULL OUTER JOIN _decisions d ON d.left_record_id = m.l AND d.right_record_id = m.r
    WHERE d.accepted IS NOT NULL OR m.det OR m.p >= {config.review_threshold}
    """)


def _clusters_table(con, config: LinkageConfig) -> int:
    """`_clusters`: connected components of the links.

    Persons: the deterministic groups are stars that are already components (their id is their
    smallest record), so only the other links are searched, between the groups' ids and the
    remaining records: a graph of the probabilistic and clerical links, not of every record.
    The smallest id of a component of groups is the smallest record of their union, so cluster ids
    are what a search over all records would give. A record a rejected decision split off its group
    (see _pairs_table) stands for itself. Companies (two identifiers) search the whole graph."""
    if config.kind != "person":
        return connected_components(con, nodes="records", edges="(SELECT * FROM _pairs WHERE status = 'link')",
                                    target="_clusters")
    (rejected, accepted) = con.execute(
        "SELECT count(*) FILTER (WHERE NOT accepted), count(*) FILTER (WHERE accepted) FROM _decisions").fetchone()
    if rejected:
        base = """
        SELECT r.record_id,
               CASE WHEN d.record_id = d.cluster_id OR k.right_record_id IS NOT NULL THEN d.cluster_id
                    ELSE r.record_id END AS base
        FROM records r LEFT JOIN _det_clusters d USING (record_id)
        LEFT JOIN (SELECT left_record_id, right_record_id FROM _pairs WHERE match_pass = 'deterministic' AND status = 'link') k
          ON k.right_record_id = r.record_id AND k.left_record_id = d.cluster_id
        """
    else:  # no decision split a group: every group is whole (_det_groups: deterministic.py)
        base = """
        SELECT record_id, CASE WHEN n > 1 THEN cluster_id ELSE record_id END AS base FROM _det_groups
        UNION ALL SELECT record_id, record_id FROM records WHERE NOT id_valid
        """
    con.execute(f"CREATE OR REPLACE TEMP VIEW _base AS {base}")
    # Splink's pairs are between bases already (a group's id, or a record in no group, and a group's
    # id stays a base when a decision splits members off it); a clerical link may name any record.
    clerical = """
    UNION ALL SELECT a.base, b.base FROM (SELECT * FROM _pairs WHERE status = 'link' AND match_pass = 'clerical') p
    JOIN _base a ON a.record_id = p.left_record_id JOIN _base b ON b.record_id = p.right_record_id
    """ if accepted else ""
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _base_edges AS
    SELECT * FROM (
      SELECT left_record_id, right_record_id FROM _pairs WHERE status = 'link' AND match_pass = 'probabilistic'
      {clerical}
    ) WHERE left_record_id <> right_record_id
    """)
    components = connected_components(con, nodes="(SELECT left_record_id AS record_id FROM _base_edges UNION ALL "
                                                  "SELECT right_record_id FROM _base_edges)",
                                      edges="_base_edges", target="_base_cc")
    con.execute("""
    CREATE OR REPLACE TEMP TABLE _clusters AS
    SELECT b.record_id, coalesce(c.cluster_id, b.base) AS cluster_id FROM _base b LEFT JOIN _base_cc c ON c.record_id = b.base
    """)
    # Every base is one cluster, but those the search joined: no count over all records needed.
    (bases, searched) = con.execute("""
    SELECT (SELECT count(*) FROM _base WHERE record_id = base), (SELECT count(*) FROM _base_cc)
    """).fetchone()
    return bases - searched + components


def linkage_run(config: LinkageConfig, *, decisions: Iterable[ClericalDecision] = (),
                progress: Progress | None = None) -> LinkageResult:
    """Run a linkage (spec.py's order) and write its outputs under config.output.

    `progress(step, done, total)` is called as each of STEPS starts and once at the end."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str):
        if progress is not None:
            progress(name, STEPS.index(name), len(STEPS))
        timings[name] = time.perf_counter()

    def done(name: str):
        timings[name] = round(time.perf_counter() - timings[name], 3)

    con = _connect(config)
    try:
        config_check(config, con=con)
        step("normalise")
        carried = records_build(con, config)
        (records,) = con.execute("SELECT count(*) FROM records").fetchone()
        done("normalise")

        step("deterministic")
        det_pairs = deterministic_pass(con, config.kind)
        # Persons: one identifier, so the groups are the clusters (deterministic_pass wrote them);
        # no graph search needed.
        if config.kind != "person":
            connected_components(con, nodes="(SELECT left_record_id AS record_id FROM _det_pairs UNION ALL "
                                            "SELECT right_record_id FROM _det_pairs)",
                                 edges="_det_pairs", target="_det_clusters")
        done("deterministic")

        step("probabilistic")
        from .probabilistic import probabilistic_pass

        prob_report = probabilistic_pass(con, config)
        done("probabilistic")

        step("decisions")
        decided = _decisions_table(con, decisions)
        _pairs_table(con, config, decided=decided)
        done("decisions")

        step("clusters")
        clusters = _clusters_table(con, config)
        (conflicts,) = con.execute("""
        SELECT count(*) FROM _decisions d JOIN _clusters a ON a.record_id = d.left_record_id
        JOIN _clusters b ON b.record_id = d.right_record_id WHERE NOT d.accepted AND a.cluster_id = b.cluster_id
        """).fetchone() if decided else (0,)
        done("clusters")

        step("write")
        output = Path(config.output)
        output.mkdir(parents=True, exist_ok=True)
        result_paths = {name: output / f"{name}.parquet" for name in ("records", "pairs", "clusters")}
        # Not sorted: sorting three million rows costs more than writing them, and readers key
        # on record_id anyway.
        records_select = "SELECT * EXCLUDE (birth_year) FROM records" if config.kind == "person" else "SELECT * FROM records"
        for name, select in (("records", records_select), ("pairs", "SELECT * FROM _pairs"),
                             ("clusters", "SELECT * FROM _clusters")):
            con.execute(f"COPY ({select}) TO {sql_text(str(result_paths[name]))} (FORMAT parquet)")
        counts = dict(con.execute("SELECT status, count(*) FROM _pairs GROUP BY status").fetchall())
        by_pass = dict(con.execute("SELECT match_pass, count(*) FROM _pairs WHERE status = 'link' GROUP BY 1").fetchall())
        (valid, converted) = con.execute("SELECT count(*) FILTER (WHERE id_valid), count(*) FILTER (WHERE id_converted) "
                                         "FROM records").fetchone()
        per_source = dict(con.execute("SELECT source, count(*) FROM records GROUP BY source ORDER BY source").fetchall())
        done("write")
        seconds = time.perf_counter() - started
        report = {
            "kind": config.kind,
            "backend": config.backend,
            "records": records,
            "records_per_source": per_source,
            "records_with_valid_id": valid,
            "legacy_ids_converted": converted,
            "deterministic_pairs": det_pairs,
            "probabilistic": prob_report,
            "decisions_applied": decided,
            "rejected_pairs_still_in_one_cluster": conflicts,
            "pairs": {"link": counts.get("link", 0), "review": counts.get("review", 0),
                      "rejected": counts.get("rejected", 0)},
            "links_by_pass": by_pass,
            "clusters": clusters,
            "match_threshold": config.match_threshold,
            "review_threshold": config.review_threshold,
            "carried_columns": carried,
            "seconds": round(seconds, 3),
            "step_seconds": timings,
        }
        (output / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        if progress is not None:
            progress("done", len(STEPS), len(STEPS))
        return LinkageResult(
            output=output,
            records=records,
            pairs_linked=counts.get("link", 0),
            pairs_for_review=counts.get("review", 0),
            clusters=clusters,
            seconds=seconds,
            report=report,
        )
    finally:
        con.close()


__all__ = ["linkage_run", "quote_ident"]
