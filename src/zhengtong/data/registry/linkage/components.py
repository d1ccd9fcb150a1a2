"""Connected components of a link graph in DuckDB: label propagation with pointer jumping.

Every record starts labelled with its own number; each round a record takes the smallest label
among itself and its neighbours, then every label jumps to its label's label. Rounds stop when no
label changes; with pointer jumping that takes O(log diameter) rounds on the star-shaped and
chain-shaped graphs linkage produces. Numbers, not record-id strings, are joined; the cluster id is
then the smallest record id of the component (stable for the same input, as spec.py promises).
"""


def connected_components(con, *, nodes: str, edges: str, target: str, max_rounds: int = 200) -> int:
    """`target`(record_id, cluster_id) for every record_id in `nodes`, with `edges` a table or
    query of (left_record_id, right_record_id). Returns the number of clusters."""
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _cc_nodes AS
    SELECT record_id, CAST(row_number() OVER (ORDER BY record_id) AS BIGINT) AS n FROM (SELECT DISTINCT record_id FROM {nodes})
    """)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _cc_edges AS
    SELECT DISTINCT least(a.n, b.n) AS a, greatest(a.n, b.n) AS b
    FROM (SELECT left_record_id, right_record_id FROM {edges}) e
    JOIN _cc_nodes a ON a.record_id = e.left_record_id
    JOIN _cc_nodes b ON b.record_id = e.right_record_id
    WHERE a.n <> b.n
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE _cc_label AS SELECT n, n AS label FROM _cc_nodes")
    for _round in range(max_rounds):
        con.execute("""
        CREATE OR REPLACE TEMP TABLE _cc_next AS
        WITH proposals AS (
          SELECT n, label FROM _cc_label
          UNION ALL SELECT e.a AS n, l.label FROM _cc_edges e JOIN _cc_label l ON l.n = e.b
          UNION ALL SELECT e.b AS n, l.label FROM _cc_edges e JOIN _cc_label l ON l.n = e.a
        ),
        smallest AS (SELECT n, min(label) AS label FROM proposals GROUP BY n)
        SELECT s.n, least(s.label, coalesce(j.label, s.label)) AS label
        FROM smallest s LEFT JOIN smallest j ON j.n = s.label
        """)
        (changed,) = con.execute("""
        SELECT count(*) FROM _cc_next x JOIN _cc_label l USING (n) WHERE x.label <> l.label
        """).fetchone()
        con.execute("DROP TABLE _cc_label")
        con.execute("ALTER TABLE _cc_next RENAME TO _cc_label")
        if not changed:
            break
    else:  # pragma: no cover - a graph needing 200 rounds is not one linkage produces
        raise RuntimeError("connected components did not converge")
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE {target} AS
    SELECT r.record_id, c.record_id AS cluster_id
    FROM _cc_label l JOIN _cc_nodes r ON r.n = l.n JOIN _cc_nodes c ON c.n = l.label
    """)
    for table in ("_cc_nodes", "_cc_edges", "_cc_label"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return con.execute(f"SELECT count(DISTINCT cluster_id) FROM {target}").fetchone()[0]
