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
    the number of pairs."""
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
