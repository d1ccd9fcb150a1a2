"""How right a linkage is, against the truth the generator wrote.

Pairs: every pair of records in one predicted cluster is a predicted match, every pair in one true
entity a true match; precision, recall and F1 over those pairs (pairwise F1 on co-membership,
counted from cluster sizes without listing pairs: the true positives are the pairs inside each
(predicted cluster x true entity) cell).

Clusters: B-cubed precision and recall (Bagga & Baldwin 1998: for each record, the share of its
predicted cluster that is its entity, and the share of its entity that is in its predicted
cluster, averaged over records), and the share of true entities reproduced exactly as a predicted
cluster (exact-cluster recall).
"""

from __future__ import annotations

from pathlib import Path

from .normalise import sql_text


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(clusters: str | Path, truth: str | Path, *, con=None) -> dict:
    """Scores of clusters.parquet (record_id, cluster_id) against truth.parquet (record_id,
    person_id). Records missing from either side count as singletons of their own."""
    import duckdb

    own = con is None
    con = con or duckdb.connect()
    try:
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _eval AS
        SELECT coalesce(c.record_id, t.record_id) AS record_id,
               coalesce(c.cluster_id, 'c:' || t.record_id) AS cluster_id,
               coalesce(CAST(t.person_id AS VARCHAR), 't:' || c.record_id) AS entity
        FROM read_parquet({sql_text(str(clusters))}) c FULL OUTER JOIN read_parquet({sql_text(str(truth))}) t
          ON t.record_id = c.record_id
        """)
        (tp, predicted, actual, b3p, b3r, records) = con.execute("""
        WITH cell AS (SELECT cluster_id, entity, count(*) AS n FROM _eval GROUP BY ALL),
        csize AS (SELECT cluster_id, count(*) AS n FROM _eval GROUP BY ALL),
        esize AS (SELECT entity, count(*) AS n FROM _eval GROUP BY ALL)
        SELECT
          (SELECT sum(n * (n - 1) / 2) FROM cell),
          (SELECT sum(n * (n - 1) / 2) FROM csize),
          (SELECT sum(n * (n - 1) / 2) FROM esize),
          (SELECT sum(c.n * c.n / s.n) FROM cell c JOIN csize s USING (cluster_id)),
          (SELECT sum(c.n * c.n / e.n) FROM cell c JOIN esize e USING (entity)),
          (SELECT count(*) FROM _eval)
        """).fetchone()
        (exact, entities) = con.execute("""
        WITH cs AS (SELECT cluster_id, count(*) n, min(entity) e1, max(entity) e2 FROM _eval GROUP BY ALL),
        es AS (SELECT entity, count(*) n FROM _eval GROUP BY ALL)
        SELECT count(*) FILTER (WHERE cs.cluster_id IS NOT NULL), (SELECT count(*) FROM es)
        FROM es LEFT JOIN cs ON cs.e1 = es.entity AND cs.e2 = es.entity AND cs.n = es.n
        """).fetchone()
    finally:
        if own:
            con.close()
    tp, predicted, actual = float(tp or 0), float(predicted or 0), float(actual or 0)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    b3_precision, b3_recall = b3p / records, b3r / records
    return {
        "records": records,
        "entities": entities,
        "pairs": {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
                  "true_positive": int(tp), "predicted": int(predicted), "actual": int(actual)},
        "clusters": {"bcubed_precision": b3_precision, "bcubed_recall": b3_recall,
                     "bcubed_f1": _f1(b3_precision, b3_recall), "exact_recall": exact / entities if entities else 1.0},
    }
