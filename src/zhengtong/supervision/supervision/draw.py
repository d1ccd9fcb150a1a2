"""The 双随机 draw as a pure function of a seed, a frozen candidate list and a frozen inspector list.

This module is the published method (the method page quotes it step by step): the service runs it
once to draw, `verify` runs it again from the revealed seed, the benchmark runs it over a million
rows. Nothing here touches the ORM.

1. Candidates are the lines "USCC<TAB>credit class\\n", sorted by USCC, UTF-8; their SHA-256 is the
   candidate digest, fixed (with the commitment SHA-256(seed)) when the plan is published.
2. Per credit class with n candidates and a ratio of r basis points, the quota is ceil(r·n/10000).
3. Each candidate's key is the first 16 hex digits (64 bits) of SHA-256(seed_hex + "|" + USCC),
   seed_hex in lower case; per class the quota candidates with the smallest keys are drawn, a tie
   (practically impossible) going to the smaller USCC.
4. Inspectors are the frozen list of (certificate number, department, USCCs to recuse from:
   declared conflicts and registry links). For each drawn entity (in USCC order), each
   department of the plan (in code order) and each slot k = 0, 1, … up to the inspectors needed,
   h = the first 16 hex digits of SHA-256(seed_hex + "|" + USCC + "|" + department + "|" + k) as a
   number; the department's inspectors sorted by certificate number are walked cyclically from
   position h mod m, skipping those already chosen and those who must recuse from the entity; the
   first found takes the slot.
   If a department has too few inspectors left, the entity is unassigned, with the reason.

The 64-bit prefix (rather than the whole digest) keeps the keys integers DuckDB sorts fast; its
bias on h mod m is below 2^-50 for any register of inspectors.

Why not HMAC(seed, USCC + certificate) over every inspector, as first suggested: that is one hash
per entity and inspector (40,000 × 300 at a million entities, over ten seconds in Python), where
one hash per slot gives each inspector the same chance and random pairs at a cost independent of
the number of inspectors. Why SHA-256(seed‖USCC) rather than HMAC: the seed is a secret of fixed
length until the reveal, so the plain hash is already unpredictable, and DuckDB computes it
vectorised (HMAC in a Python loop costs 2.5 s per million), and anyone can check it with
`sha256sum`.
"""

import hashlib
import io
import json
import math
import tempfile
from dataclasses import dataclass, field

from .conf import CREDIT_CLASSES


@dataclass(frozen=True)
class InspectorEntry:
    certificate_no: str
    department: str  # department code
    recuse: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class DrawnRow:
    uscc: str
    credit_class: str
    inspectors: tuple[str, ...]  # certificate numbers, by department then slot
    unassigned_reason: str = ""  # a code: "too_few_inspectors:<department>"


def seed_commitment(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def candidates_canonical(rows) -> bytes:
    """rows: (USCC, credit class) pairs in any order → the canonical bytes (sorted, one a line)."""
    return "".join(f"{uscc}\t{klass}\n" for uscc, klass in sorted(rows)).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspectors_canonical(entries: list[InspectorEntry]) -> bytes:
    payload = [{"certificate_no": e.certificate_no, "department": e.department, "recuse": sorted(e.recuse)}
               for e in sorted(entries, key=lambda e: e.certificate_no)]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def inspectors_from_snapshot(snapshot: list[dict]) -> list[InspectorEntry]:
    return [InspectorEntry(e["certificate_no"], e["department"], frozenset(e["recuse"])) for e in snapshot]


def quotas(counts: dict[str, int], ratios_bp: dict[str, int]) -> dict[str, int]:
    return {k: math.ceil(int(ratios_bp.get(k, 0)) * n / 10000) for k, n in counts.items()}


def _candidate_table(canonical: bytes):
    """The canonical list as an Arrow table (for callers that want it in memory)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not canonical:
        return pa.table({"uscc": pa.array([], pa.string()), "credit_class": pa.array([], pa.string())})
    return pacsv.read_csv(
        io.BytesIO(canonical),
        read_options=pacsv.ReadOptions(column_names=["uscc", "credit_class"]),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pacsv.ConvertOptions(column_types={"uscc": pa.string(), "credit_class": pa.string()}),
    )


def _connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _load(con, canonical: bytes) -> None:
    """The candidates into a DuckDB table, parsed by DuckDB itself (in parallel, from a scratch file)."""
    con.execute("CREATE TEMP TABLE candidates (uscc VARCHAR, credit_class VARCHAR)")
    if not canonical:
        return
    with tempfile.NamedTemporaryFile(prefix="zhengtong-draw-", suffix=".tsv") as scratch:
        scratch.write(canonical)
        scratch.flush()
        con.execute("INSERT INTO candidates SELECT * FROM read_csv(?, delim = '\t', header = false, quote = '', "
                    "escape = '', columns = {'uscc': 'VARCHAR', 'credit_class': 'VARCHAR'})", [scratch.name])


# Rank within a class: 64 bits of SHA-256(seed|USCC), then the USCC.
KEY_SQL = "('0x' || left(sha256(? || '|' || uscc), 16))::UBIGINT"
SELECT_SQL = (
    "SELECT c.uscc, c.credit_class FROM ("
    f"  SELECT uscc, credit_class, {KEY_SQL} AS k FROM candidates) c"
    " JOIN quota q USING (credit_class) WHERE c.k <= q.t"
    " QUALIFY row_number() OVER (PARTITION BY c.credit_class ORDER BY c.k, c.uscc) <= q.n"
    " ORDER BY c.uscc"
)


def select(seed_hex: str, canonical: bytes, ratios_bp: dict[str, int], con=None) -> list[tuple[str, str]]:
    """Steps 2-3: the drawn (USCC, class) pairs, sorted by USCC.

    Only keys under a per-class bound (about twice the class's sampling fraction of the key space)
    are sorted; if a class has fewer keys under its bound than its quota, the query runs again
    without the bound. Either way the result is the quota smallest keys: the bound saves the sort
    of rows that cannot be drawn, it decides nothing.
    """
    own = con is None
    con = con or _connect()
    try:
        if own:
            _load(con, canonical)
        if own:  # the canonical lines end "<TAB>class<LF>": counted in the bytes, without a scan
            counts = {k: canonical.count(f"\t{k}\n".encode()) for k in CREDIT_CLASSES}
            counts = {k: n for k, n in counts.items() if n}
        else:
            counts = dict(con.execute("SELECT credit_class, count(*) FROM candidates GROUP BY 1").fetchall())
        quota = {k: n for k, n in quotas(counts, ratios_bp).items() if n > 0}
        if not quota:
            return []
        top = 2**64 - 1
        bounds = {k: min(top, int(top * min(1.0, 2 * n / counts[k] + 0.001))) for k, n in quota.items()}
        con.execute("CREATE OR REPLACE TEMP TABLE quota (credit_class VARCHAR, n BIGINT, t UBIGINT)")
        con.executemany("INSERT INTO quota VALUES (?, ?, ?)", [(k, n, bounds[k]) for k, n in quota.items()])
        drawn = con.execute(SELECT_SQL, [seed_hex]).fetchall()
        got: dict[str, int] = {}
        for _uscc, klass in drawn:
            got[klass] = got.get(klass, 0) + 1
        if any(got.get(k, 0) < n for k, n in quota.items()):
            con.execute("UPDATE quota SET t = ?", [top])
            drawn = con.execute(SELECT_SQL, [seed_hex]).fetchall()
        return drawn
    finally:
        if own:
            con.close()


def assign(seed_hex: str, drawn: list[tuple[str, str]], inspectors: list[InspectorEntry], departments: list[str],
           per_inspection: int) -> list[DrawnRow]:
    """Step 4: inspectors for each drawn entity, recusing whoever must."""
    pools = {d: [(e.certificate_no, e.recuse) for e in sorted(
        (e for e in inspectors if e.department == d), key=lambda e: e.certificate_no)] for d in sorted(departments)}
    slots = [(d, pool, len(pool), [f"{d}|{k}".encode() for k in range(per_inspection)]) for d, pool in pools.items()]
    seed_prefix = f"{seed_hex}|".encode()
    out = []
    for uscc, klass in drawn:
        chosen: list[str] = []
        reason = ""
        entity_hash = hashlib.sha256(seed_prefix + uscc.encode() + b"|")
        for department, pool, m, suffixes in slots:
            taken: list[str] = []
            for suffix in suffixes if m else ():
                slot_hash = entity_hash.copy()
                slot_hash.update(suffix)
                start = int.from_bytes(slot_hash.digest()[:8], "big") % m
                for step in range(m):
                    certificate_no, recuse = pool[(start + step) % m]
                    if certificate_no in taken or uscc in recuse:
                        continue
                    taken.append(certificate_no)
                    break
            if len(taken) < per_inspection:
                reason = f"too_few_inspectors:{department}"
                break
            chosen.extend(taken)
        out.append(DrawnRow(uscc, klass, () if reason else tuple(chosen), reason))
    return out


def run(seed_hex: str, canonical: bytes, ratios_bp: dict[str, int], inspectors: list[InspectorEntry],
        departments: list[str], per_inspection: int) -> list[DrawnRow]:
    """The whole draw (steps 2-4)."""
    return assign(seed_hex, select(seed_hex, canonical, ratios_bp), inspectors, departments, per_inspection)


def result_digest(rows: list[DrawnRow]) -> str:
    lines = "".join(f"{r.uscc}\t{r.credit_class}\t{','.join(r.inspectors)}\t{r.unassigned_reason}\n" for r in rows)
    return digest(lines.encode())


__all__ = ["CREDIT_CLASSES", "DrawnRow", "InspectorEntry", "assign", "candidates_canonical", "digest",
           "inspectors_canonical", "quotas", "result_digest", "run", "seed_commitment", "select"]
