"""The deterministic pass: records sharing a valid normalised identifier are one entity.

Persons: the resident ID (a legacy 15-digit ID converted to 18 counts as that ID). Companies: the
unified social credit code, and separately the legacy registration number (a company filed under
both in different departments is joined through any record that carries both; the clusters are
connected components, so the passes compose).

Pairs are written as a star per group (every member linked to the group's smallest record id), not
every pair of the group: n - 1 pairs say the same as n(n-1)/2.
"""

IDENTIFIERS = {
    "person": (("resident_id", "id_valid"),),
    "company": (("uscc", "uscc_valid"), ("registration_no", "registration_no_valid")),
}


def deterministic_pass(con, kind: str) -> int:
    """Create `_det_pairs`(left_record_id, right_record_id, identifier) from `records`; returns
    the number of pairs. Persons also get `_det_clusters`(record_id, cluster_id): every record of
    a group of two or more (one identifier: the groups are the clusters already), and
    `_det_groups`(record_id, cluster_id, n): every record with a valid ID, n its group's size."""
    if kind == "person":
        return _person_pass(con)
    selects = []
    for column, valid in IDENTIFIERS[kind]:
        selects.append(f"""
        SELECT min(record_id) OVER (PARTITION BY {column}) AS left_record_id, record_id AS right_record_id,
               '{column}' AS identifier
        FROM records WHERE {valid}
        """)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _det_pairs AS
    SELECT DISTINCT left_record_id, right_record_id, first(identifier) OVER (PARTITION BY left_record_id, right_record_id) AS identifier
    FROM ({' UNION ALL '.join(selects)})
    WHERE left_record_id <> right_record_id
    """)
    return con.execute("SELECT count(*) FROM _det_pairs").fetchone()[0]


def _person_pass(con) -> int:
    """One window over the records with a valid ID gives each its group's smallest record id and
    the group's size (`_det_groups`, a row per such record); the clusters (groups of two or more)
    and the pairs (a star per group) are views of it, so nothing is deduplicated or stored twice."""
    ((column, valid),) = IDENTIFIERS["person"]
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE _det_groups AS
    SELECT record_id, min(record_id) OVER w AS cluster_id, count(*) OVER w AS n
    FROM records WHERE {valid} WINDOW w AS (PARTITION BY {column})
    """)
    con.execute("CREATE OR REPLACE TEMP VIEW _det_clusters AS SELECT record_id, cluster_id FROM _det_groups WHERE n > 1")
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW _det_pairs AS
    SELECT cluster_id AS left_record_id, record_id AS right_record_id, '{column}' AS identifier
    FROM _det_groups WHERE n > 1 AND record_id <> cluster_id
    """)
    return con.execute("SELECT count(*) FROM _det_pairs").fetchone()[0]
