"""The linkage engine's contract: what a run is given and what it returns.

The engine (this package) knows nothing of Django: it links any tables given a column mapping, so
`zhengtong link CONFIG` runs on outside benchmark data as well as on the registry's sources. The
registry app (models, services) turns a LinkageResult into master records with stable ids.

A run, in order:
  1. normalise every source into the canonical columns of its kind (PERSON_ATTRIBUTES or
     COMPANY_ATTRIBUTES): identifiers validated and converted (15-digit resident IDs to 18, check
     characters verified), names folded to simplified Chinese with a pinyin key, addresses
     normalised by division, phones and dates in one form;
  2. the deterministic pass: records sharing a valid normalised identifier are one entity;
  3. the probabilistic pass (Splink; DuckDB backend, or Spark) over the records the first pass
     could not place, against the deterministic clusters' representatives;
  4. clerical decisions override the model: an accepted pair is a match, a rejected pair never is;
  5. pairs at or above `match_threshold` are links, those in [review_threshold, match_threshold)
     go to clerical review (and are not links until accepted);
  6. clusters are the connected components of the links.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["person", "company"]
Backend = Literal["duckdb", "spark"]

# Canonical attributes a source column may be mapped to.
PERSON_ATTRIBUTES = ("resident_id", "name", "birth_date", "gender", "mobile", "address", "division_code")
COMPANY_ATTRIBUTES = (
    "uscc",  # 统一社会信用代码 (GB 32100)
    "registration_no",  # legacy 15-digit 工商注册号, from before the USCC
    "name",
    "legal_representative",
    "established_on",
    "address",
    "division_code",
    "mobile",
)


@dataclass(frozen=True)
class SourceSpec:
    """One table to link. Exactly one of `path` (CSV, Parquet or JSON lines) or `relation_sql`
    (a DuckDB relation, e.g. ingest's version_relation_sql) is given."""

    name: str  # short and unique in the run, e.g. "hrss"; record ids are f"{name}:{key}"
    key: str  # the column that identifies a row within the source
    columns: dict[str, str]  # canonical attribute -> source column
    path: Path | None = None
    relation_sql: str | None = None
    # Extra columns carried through to the output untouched (e.g. version, updated_at)
    carry: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClericalDecision:
    """A data officer's verdict on a pair; record ids in any order."""

    left_record_id: str
    right_record_id: str
    accepted: bool


@dataclass(frozen=True)
class LinkageConfig:
    kind: Kind
    sources: tuple[SourceSpec, ...]
    output: Path  # folder for records.parquet, pairs.parquet, clusters.parquet, report.json
    backend: Backend = "duckdb"
    match_threshold: float = 0.95
    review_threshold: float = 0.60
    # Splink blocking rules as SQL expressions over the normalised columns (l./r.), or () for the
    # engine's defaults for the kind.
    blocking_rules: tuple[str, ...] = ()
    seed: int = 1
    memory_limit: str | None = None  # DuckDB memory_limit, e.g. "2GB"


@dataclass(frozen=True)
class LinkageResult:
    """Paths of the run's outputs and its counts.

    records.parquet:  record_id, source, source_key, the canonical normalised columns, the
                      carried columns, id_valid (bool), id_converted (bool: legacy ID converted),
                      and the keys the passes compared: name_pinyin, address_key, and for persons
                      id_body (the ID's first 17 characters), for companies uscc_valid and
                      registration_no_valid (normalise.py's docstring lists them)
    pairs.parquet:    left_record_id, right_record_id, match_probability (float, 1.0 for
                      deterministic and accepted pairs, 0.0 for rejected), match_pass
                      ("deterministic" | "probabilistic" | "clerical"), status ("link" | "review"
                      | "rejected"); only pairs at or above review_threshold and decided pairs
    clusters.parquet: record_id, cluster_id (the smallest record_id in the cluster, so it is
                      stable for the same input)
    """

    output: Path
    records: int
    pairs_linked: int
    pairs_for_review: int
    clusters: int
    seconds: float
    report: dict = field(default_factory=dict)

    @property
    def records_path(self) -> Path:
        return self.output / "records.parquet"

    @property
    def pairs_path(self) -> Path:
        return self.output / "pairs.parquet"

    @property
    def clusters_path(self) -> Path:
        return self.output / "clusters.parquet"
