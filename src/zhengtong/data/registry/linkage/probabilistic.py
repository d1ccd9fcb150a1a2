"""The probabilistic pass: Splink over the records the deterministic pass could not place.

Who is compared: every record the deterministic pass left alone (no valid identifier, or one no
other record shares) against each other and against ONE representative per deterministic cluster,
never representative against representative (those clusters are already settled). The
representative carries the cluster's most common name (a simplified Chinese one before a pinyin
one) and the other attributes of its most complete record, so one comparison stands for the whole
cluster; a link to it is a link to
the cluster's smallest record id, which is the cluster.

The model (persons): name (exact simplified / same pinyin key / Jaro-Winkler on the pinyin key),
birth date (exact / day and month swapped / same year), gender, mobile, address key (exact /
Jaro-Winkler), division (same county / same city), and the 17-digit body of the resident ID (an ID
with a wrong check character still carries its body).

Training uses the deterministic pass's links as labels: records sharing a valid ID are known
matches, and the departments' dirt on their other attributes is independent of whether the ID
was kept, so m is counted from a hash sample of those clusters (about 40,000, every pair within a
cluster, Splink's estimate_m_from_label_column), u by random sampling over the same records with
the run's seed, and the prior from the deterministic pass (each unplaced record is expected to
match about one of the compared records). Identifier agreement is then set, not learnt (the
labels agree on it by construction). Without clusters to learn from (no valid IDs at all) the
model is trained the standard way instead: u by random sampling, m by EM on two blocking rules.
Labels make training both cheaper (no EM iterations over blocked pairs) and better aimed than EM.

Backends: DuckDB (the run's own connection, so nothing is copied) or Spark in local mode (the
input written to Parquet, read by Spark, the scored pairs written back): the same settings, so the
same model, on either.
"""

from __future__ import annotations

import atexit
import logging
import os
import tempfile
from pathlib import Path

from .normalise import sql_text
from .spec import LinkageConfig

# Rules over the Splink input's columns; each is made to skip representative-representative pairs.
DEFAULT_BLOCKING = {
    # No "same birth date and surname" rule: at a million persons it made 63% of the compared pairs
    # (a two-letter pinyin prefix is a coarse key) for about fifty links no other rule found, half
    # of them wrong (two people sharing a surname and a birthday); the same date in the same
    # county, and the name with the year, find the rest.
    "person": (
        "l.id_body = r.id_body",
        "l.mobile = r.mobile",
        "l.name_pinyin = r.name_pinyin AND l.birth_year = r.birth_year",
        "l.birth_date = r.birth_date AND l.division_code = r.division_code",
    ),
    "company": (
        "l.name = r.name",
        "l.mobile = r.mobile",
        "l.name_pinyin = r.name_pinyin",
        "l.address_key = r.address_key",
        "l.legal_representative = r.legal_representative AND l.division_code = r.division_code",
    ),
}
TRAINING_BLOCKING = {
    "person": ("l.birth_date = r.birth_date AND l.surname_key = r.surname_key", "l.name_pinyin = r.name_pinyin"),
    "company": ("l.name_pinyin = r.name_pinyin", "l.address_key = r.address_key"),
}
EM_MAX_PAIRS = 2_000_000
U_MAX_PAIRS = 2_000_000

PERSON_COLUMNS = ("name", "name_pinyin", "surname_key", "birth_date", "birth_year", "gender", "mobile",
                  "address_key", "division_code", "id_body")
COMPANY_COLUMNS = ("name", "name_pinyin", "legal_representative", "established_on", "mobile", "address_key",
                   "division_code", "uscc", "registration_no")


# How complete a record is, to choose a cluster's representative values.
SCORE = {
    "person": "(CASE WHEN birth_date IS NOT NULL THEN 4 ELSE 0 END + CASE WHEN mobile IS NOT NULL THEN 2 ELSE 0 END "
              "+ CASE WHEN address_key IS NOT NULL THEN 1 ELSE 0 END) * 1000 + hash(record_id) % 1000",
    "company": "(CASE WHEN established_on IS NOT NULL THEN 4 ELSE 0 END + CASE WHEN mobile IS NOT NULL THEN 2 ELSE 0 END "
               "+ CASE WHEN address_key IS NOT NULL THEN 1 ELSE 0 END) * 1000 + hash(record_id) % 1000",
}
# Deterministic clusters sampled to train the model from their labels (their records are matches).
TRAINING_CLUSTERS = 40_000
IDENTIFIER_COMPARISONS = {"person": ("id_body",), "company": ("uscc", "registration_no")}
M_FLOOR = 1e-4


def input_columns(kind: str) -> str:
    if kind == "person":
        return """name, name_pinyin, substr(name_pinyin, 1, 2) AS surname_key,
            strftime(birth_date, '%Y-%m-%d') AS birth_date, CAST(birth_year AS VARCHAR) AS birth_year, gender, mobile,
            address_key, division_code, id_body"""
    return """name, name_pinyin, legal_representative, strftime(established_on, '%Y-%m-%d') AS established_on,
            mobile, address_key, division_code, uscc, registration_no"""


def input_table(con, kind: str) -> tuple[int, int]:
    """`_prob_input`: the unplaced records and one representative per deterministic cluster.
    Returns (unplaced, representatives)."""
    if kind == "person":
        _person_input_table(con)
    else:
        con.execute(f"""
        CREATE OR REPLACE TABLE _prob_input AS  -- not TEMP: Splink works on a cursor of the same database
        SELECT record_id AS unique_id, false AS is_rep, {input_columns(kind)}
        FROM records WHERE record_id NOT IN (SELECT record_id FROM _det_clusters)
        UNION ALL
        SELECT c.cluster_id AS unique_id, true AS is_rep, mode(name) AS name, mode(name_pinyin) AS name_pinyin,
            mode(legal_representative) AS legal_representative,
            strftime(mode(established_on), '%Y-%m-%d') AS established_on, mode(mobile) AS mobile,
            mode(address_key) AS address_key, mode(division_code) AS division_code,
            mode(uscc) FILTER (WHERE uscc_valid) AS uscc, mode(registration_no) FILTER (WHERE registration_no_valid)
            AS registration_no
        FROM records r JOIN _det_clusters c USING (record_id) GROUP BY c.cluster_id
        """)
    return con.execute("SELECT count(*) FILTER (WHERE NOT is_rep), count(*) FILTER (WHERE is_rep) FROM _prob_input").fetchone()


def _person_input_table(con) -> None:
    """Persons: one GROUP BY over the records with a valid ID gives every representative and,
    from the groups of one, the records a valid ID did not place (a group of one's values are its
    record's), so the records are neither joined to the clusters nor searched for the unplaced.
    The name by mode() (departments disagree: pinyin, typos), a Chinese one first, with its own
    pinyin key; the other attributes from the cluster's most complete record (one arg_max each, far
    cheaper than a mode() per attribute over a million clusters). A Latin name is its own pinyin
    key (normalise.names_fold), which tells it apart without a regular expression."""
    name = "{'n': name, 'p': name_pinyin}"
    con.execute(f"""
    CREATE OR REPLACE TABLE _prob_input AS  -- not TEMP: Splink works on a cursor of the same database
    SELECT record_id AS unique_id, false AS is_rep, {input_columns("person")}
    FROM records WHERE NOT id_valid
    UNION ALL
    SELECT unique_id, is_rep, _name.n AS name, _name.p AS name_pinyin, substr(_name.p, 1, 2) AS surname_key,
           strftime(birth_date, '%Y-%m-%d') AS birth_date, CAST(year(birth_date) AS VARCHAR) AS birth_year, gender,
           mobile, address_key, division_code, id_body
    FROM (
      SELECT min(record_id) AS unique_id, count(*) > 1 AS is_rep,
             coalesce(mode({name}) FILTER (WHERE name IS NOT NULL AND name IS DISTINCT FROM name_pinyin),
                      mode({name}) FILTER (WHERE name = name_pinyin)) AS _name,
             arg_max(birth_date, _score) AS birth_date, arg_max(gender, _score) AS gender,
             arg_max(mobile, _score) AS mobile, arg_max(address_key, _score) AS address_key,
             arg_max(division_code, _score) AS division_code, max(id_body) AS id_body
      FROM (SELECT *, {SCORE["person"]} AS _score FROM records WHERE id_valid)
      GROUP BY resident_id
    )
    """)


def training_table(con, kind: str, seed: int) -> int:
    """`_train_input`: the records of a hash sample of the deterministic clusters, labelled with
    their cluster. Pairs inside a cluster share a valid identifier, so they are true matches whose
    other attributes carry the departments' dirt: m is counted from them directly (no EM), and u
    from random pairs of the same records."""
    record_cols = input_columns(kind)
    # A cluster's id is its smallest record id, a member of it: one row per cluster.
    (clusters,) = con.execute("SELECT count(*) FROM _det_clusters WHERE record_id = cluster_id").fetchone()
    if clusters == 0:
        return 0
    modulus = max(1, clusters // TRAINING_CLUSTERS)
    con.execute(f"""
    CREATE OR REPLACE TABLE _train_input AS
    SELECT r.record_id AS unique_id, false AS is_rep, c.cluster_id AS cluster_label, {record_cols}
    FROM records r
    JOIN (SELECT record_id, cluster_id FROM _det_clusters WHERE hash(cluster_id, {int(seed)}) % {modulus} = 0) c
      USING (record_id)
    """)
    return con.execute("SELECT count(*) FROM _train_input").fetchone()[0]


def comparisons(kind: str) -> list:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def dates(column: str, label: str):
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                cll.ExactMatchLevel(column),
                cll.CustomLevel(
                    f"substr({column}_l, 1, 4) = substr({column}_r, 1, 4) AND substr({column}_l, 6, 2) = "
                    f"substr({column}_r, 9, 2) AND substr({column}_l, 9, 2) = substr({column}_r, 6, 2)",
                    label_for_charts="day and month swapped",
                ),
                cll.CustomLevel(f"substr({column}_l, 1, 7) = substr({column}_r, 1, 7)", label_for_charts="same month"),
                cll.CustomLevel(f"substr({column}_l, 1, 4) = substr({column}_r, 1, 4)", label_for_charts="same year"),
                cll.ElseLevel(),
            ],
            comparison_description=label,
        )

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_pinyin"),
            cll.ExactMatchLevel("name"),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.92),
            cll.JaroWinklerLevel("name_pinyin", 0.85),
            cll.ElseLevel(),
        ],
        comparison_description="name: simplified, pinyin key, Jaro-Winkler on the pinyin key",
    )
    address = cl.CustomComparison(
        output_column_name="address_key",
        comparison_levels=[
            cll.NullLevel("address_key"),
            cll.ExactMatchLevel("address_key"),
            cll.JaroWinklerLevel("address_key", 0.9),
            cll.ElseLevel(),
        ],
        comparison_description="address below the county",
    )
    division = cl.CustomComparison(
        output_column_name="division_code",
        comparison_levels=[
            cll.NullLevel("division_code"),
            cll.ExactMatchLevel("division_code"),
            cll.CustomLevel("substr(division_code_l, 1, 4) = substr(division_code_r, 1, 4)", label_for_charts="same city"),
            cll.ElseLevel(),
        ],
        comparison_description="GB/T 2260 division",
    )
    if kind == "person":
        identifier = cl.CustomComparison(
            output_column_name="id_body",
            comparison_levels=[
                cll.NullLevel("id_body"),
                cll.ExactMatchLevel("id_body"),
                cll.LevenshteinLevel("id_body", 1),
                cll.ElseLevel(),
            ],
            comparison_description="the resident ID's first 17 characters",
        )
        return [name, dates("birth_date", "birth date"), cl.ExactMatch("gender"), cl.ExactMatch("mobile"),
                address, division, identifier]
    legal = cl.CustomComparison(
        output_column_name="legal_representative",
        comparison_levels=[cll.NullLevel("legal_representative"), cll.ExactMatchLevel("legal_representative"),
                           cll.JaroWinklerLevel("legal_representative", 0.85), cll.ElseLevel()],
    )
    return [name, legal, dates("established_on", "date established"), cl.ExactMatch("mobile"), address, division,
            cl.ExactMatch("uscc"), cl.ExactMatch("registration_no")]


def _not_rep_pair(rule: str) -> str:
    return f"({rule}) AND NOT (l.is_rep AND r.is_rep)"


def settings_for(config: LinkageConfig, *, prior: float):
    from splink import SettingsCreator

    rules = config.blocking_rules or DEFAULT_BLOCKING[config.kind]
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(config.kind),
        blocking_rules_to_generate_predictions=[_not_rep_pair(rule) for rule in rules],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


def model_train(linker, config: LinkageConfig) -> list[str]:
    """The standard training on the linker's own input (the fallback when the deterministic pass
    gave no clusters to learn from): u by random sampling (seeded), m by EM on each training rule.
    A rule that yields no pairs is skipped and named in the returned list."""
    from splink.internals.exceptions import EMTrainingException, SplinkException

    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=config.seed)
    skipped = []
    for rule in TRAINING_BLOCKING[config.kind]:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                _not_rep_pair(rule), max_pairs=EM_MAX_PAIRS, record_sample_proportion=0.05,
            )
        except (EMTrainingException, SplinkException):
            skipped.append(rule)
    return skipped


def model_from_labels(training_linker, config: LinkageConfig) -> dict:
    """Train on the labelled sample (u by random sampling with the run's seed, m from the labels)
    and return the model as a settings dict. Levels the labels never show get a small floor
    rather than zero, and identifier agreement is not taken as certain (the labels agree on it by
    construction): an officer's data may still hold two people under one mistyped number."""
    training_linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=config.seed)
    training_linker.training.estimate_m_from_label_column("cluster_label")
    model = training_linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        if comparison["output_column_name"] in IDENTIFIER_COMPARISONS[config.kind]:
            # exact, near (one edit), other: what one mistyped character does to an identifier
            for level, m in zip(levels, (0.98, 0.01, 0.01) if len(levels) == 3 else (0.98, 0.02)):
                level["m_probability"] = m
            continue
        for level in levels:
            if not level.get("m_probability"):
                level["m_probability"] = M_FLOOR
    return model


def _quiet_splink() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def probabilistic_pass(con, config: LinkageConfig) -> dict:
    """Create `_prob_pairs`(left_record_id, right_record_id, match_probability) for the pairs the
    model scores at or above the review threshold. Returns figures for the report."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _prob_pairs
                   (left_record_id VARCHAR, right_record_id VARCHAR, match_probability DOUBLE)""")
    unplaced, reps = input_table(con, config.kind)
    report = {"unplaced_records": unplaced, "representatives": reps, "backend": config.backend}
    if unplaced == 0 or unplaced + reps < 3:
        report["skipped"] = "no records left to place"
        return report
    # The prior: each unplaced record matches about one other record among the compared pairs.
    total_pairs = unplaced * (unplaced - 1) / 2 + unplaced * reps
    prior = min(0.5, max(1e-9, unplaced / max(total_pairs, 1)))
    report["prior"] = prior
    _quiet_splink()
    from splink.internals.exceptions import SplinkException

    try:
        skipped = (_spark_predict if config.backend == "spark" else _duckdb_predict)(con, config, prior)
    except SplinkException as error:  # e.g. too few records to train any comparison
        report["skipped"] = f"the model could not be trained: {str(error).splitlines()[0]}"
        return report
    if skipped:
        report["training_rules_without_pairs"] = skipped
    report["pairs_scored_at_or_above_review"] = con.execute("SELECT count(*) FROM _prob_pairs").fetchone()[0]
    return report


def _duckdb_predict(con, config: LinkageConfig, prior: float) -> list[str]:
    from splink import DuckDBAPI, Linker

    labelled = training_table(con, config.kind, config.seed)
    con.execute("SELECT 1").fetchall()  # DuckDB 2 wants every result finished before other work
    db_api = DuckDBAPI(connection=con.cursor())
    frame = db_api.register("_prob_input")
    if labelled:
        training = Linker(db_api.register("_train_input"), settings_for(config, prior=prior), log_level=None)
        linker = Linker(frame, model_from_labels(training, config), log_level=None)
        skipped = []
    else:
        linker = Linker(frame, settings_for(config, prior=prior), log_level=None)
        skipped = model_train(linker, config)
    predictions = linker.inference.predict(threshold_match_probability=config.review_threshold, warning_mode="never")
    con.execute(f"""
    INSERT INTO _prob_pairs
    SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}
    """).fetchall()
    con.execute("DROP TABLE _prob_input")
    con.execute("DROP TABLE IF EXISTS _train_input")
    return skipped


_SPARK = None


def spark_session():
    """One local Spark session per process (starting one takes seconds)."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        _SPARK = (
            SparkSession.builder.master(os.environ.get("ZHENGTONG_SPARK_MASTER", "local[2]")).appName("zhengtong-linkage")
            .config("spark.jars", similarity_jar_location())  # Splink's Jaro-Winkler and friends
            .config("spark.sql.shuffle.partitions", os.environ.get("ZHENGTONG_SPARK_PARTITIONS", "2"))
            .config("spark.default.parallelism", os.environ.get("ZHENGTONG_SPARK_PARTITIONS", "2"))
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        # getOrCreate hands back a session someone else started in this process, whose class path
        # can no longer change: without Splink's jar its comparisons fail and links are lost.
        if similarity_jar_location() not in _SPARK.sparkContext.getConf().get("spark.jars", ""):
            session, _SPARK = _SPARK, None
            raise RuntimeError(
                f"A Spark session without Splink's similarity UDF jar is already running in this process "
                f"({session.sparkContext.appName}); start it with spark.jars={similarity_jar_location()}"
            )
        _SPARK.sparkContext.setLogLevel("ERROR")
        _SPARK.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="zt-spark-ckpt-"))
        atexit.register(_spark_stop)
    return _SPARK


def _spark_stop() -> None:
    global _SPARK
    if _SPARK is not None:
        logging.getLogger("py4j").setLevel(logging.ERROR)
        _SPARK.stop()
        _SPARK = None


def _spark_predict(con, config: LinkageConfig, prior: float) -> list[str]:
    from splink import Linker, SparkAPI

    spark = spark_session()
    labelled = training_table(con, config.kind, config.seed)
    with tempfile.TemporaryDirectory(prefix="zt-link-spark-") as scratch:
        source = Path(scratch) / "input.parquet"
        train = Path(scratch) / "train.parquet"
        target = Path(scratch) / "pairs"
        con.execute(f"COPY _prob_input TO {sql_text(str(source))} (FORMAT parquet)")
        db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
        frame = db_api.register(spark.read.parquet(str(source)))
        if labelled:
            con.execute(f"COPY _train_input TO {sql_text(str(train))} (FORMAT parquet)")
            training = Linker(db_api.register(spark.read.parquet(str(train))), settings_for(config, prior=prior),
                              log_level=None)
            linker = Linker(frame, model_from_labels(training, config), log_level=None)
            skipped = []
        else:
            linker = Linker(frame, settings_for(config, prior=prior), log_level=None)
            skipped = model_train(linker, config)
        predictions = linker.inference.predict(threshold_match_probability=config.review_threshold,
                                               warning_mode="never")
        (predictions.as_spark_dataframe()
         .selectExpr("unique_id_l AS left_record_id", "unique_id_r AS right_record_id", "match_probability")
         .write.mode("overwrite").parquet(str(target)))
        con.execute("DROP TABLE _prob_input")
        con.execute("DROP TABLE IF EXISTS _train_input")
        con.execute(f"INSERT INTO _prob_pairs SELECT left_record_id, right_record_id, match_probability "
                    f"FROM read_parquet({sql_text(str(target) + '/*.parquet')})")
    return skipped
