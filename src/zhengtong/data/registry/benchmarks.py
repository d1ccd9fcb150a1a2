"""Benchmarks of the registry's linkage: Zhengtong's linkage against a plain Splink model.

The data: the synthetic population of linkage.synthetic (persons in Zhejiang, four departments'
copies: police 95%, HRSS 75%, health 80%, civil affairs 50% of the population, so about 3 records a
person), with the generator's default dirt (per record: ID missing 5%, wrong check character 3%,
legacy 15-digit ID 4% of those born before 2000, name in traditional characters 5%, in pinyin 3%,
with a typo 3%, address abbreviated 25% or missing 5%, mobile stale/other 10% or missing 10% or
written +86 xxx-xxxx-xxxx 20%, birth date in another department's format 20%, day and month
swapped 2%, missing 3%; each department has its own column names, date format and gender codes).
The truth (record -> person) is known.

The two tools, each in its own child process (peak RSS: VmHWM reset just before the work):
- Zhengtong: `linkage_run` (normalisation, deterministic pass on valid IDs, Splink on the rest
  against one representative per cluster, clusters), DuckDB backend, default settings.
- The peer: a plain Splink 5 model (DuckDB backend) on the same records with the departments'
  columns mapped to the same names but not normalised beyond what Splink offers; the standard
  comparisons from splink.comparison_library (Jaro-Winkler on name and address, Levenshtein on
  resident ID and birth date, exact gender and mobile), the same four blocking rules written over
  the raw columns (ID's first 17 characters; mobile; name + year; birth date + start of the address,
  where ours has birth date + county), trained the standard way (prior from an ID rule at
  recall 0.7, u by random sampling with the same seed and budget, m by EM on two rules with the
  same pair budget), every record through the model, clusters at the same match threshold.

Both are scored by linkage.evaluate against the truth: precision/recall/F1 of pairs (co-membership
of clusters) and B-cubed F1 of clusters.

    python -m zhengtong.data.registry.benchmarks TOOL FOLDER OUTPUT   # what a child runs; prints JSON
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zhengtong.bench import BenchmarkResult, benchmark

SIZES = (100_000, 1_000_000)
ROUNDS = {100_000: 2, 1_000_000: 2}
SEED = 1
MATCH_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.60
# Past this many seconds for one child the 1M size is given up and reported as such.
CHILD_TIMEOUT = int(os.environ.get("ZHENGTONG_LINK_BENCH_TIMEOUT", "1500"))


# --- the tools (in the child) ------------------------------------------------------------------


def zhengtong_link(folder: Path, output: Path) -> Path:
    from zhengtong.data.registry.linkage import linkage_run
    from zhengtong.data.registry.linkage.synthetic import Population, config_for

    population = Population(folder=folder, persons=0, files={p.stem: p for p in folder.glob("*.parquet")
                                                              if p.stem != "truth"}, truth=folder / "truth.parquet")
    config = config_for(population, output, match_threshold=MATCH_THRESHOLD, review_threshold=REVIEW_THRESHOLD, seed=SEED)
    return linkage_run(config).clusters_path


PEER_BLOCKING = (
    "substr(l.resident_id, 1, 17) = substr(r.resident_id, 1, 17)",
    "l.mobile = r.mobile",
    "l.name = r.name AND substr(l.birth_date, 1, 4) = substr(r.birth_date, 1, 4)",
    "l.birth_date = r.birth_date AND substr(l.address, 1, 6) = substr(r.address, 1, 6)",
)
PEER_TRAINING = ("l.birth_date = r.birth_date AND substr(l.name, 1, 1) = substr(r.name, 1, 1)",
                 "l.name = r.name")


def plain_splink(folder: Path, output: Path) -> Path:
    """The peer: Splink as its documentation sets it up, on the raw columns."""
    import logging

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    from zhengtong.data.registry.linkage.probabilistic import EM_MAX_PAIRS, U_MAX_PAIRS
    from zhengtong.data.registry.linkage.synthetic import DEPARTMENTS

    logging.getLogger("splink").setLevel(logging.WARNING)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    selects = []
    for dept in DEPARTMENTS:
        path = folder / f"{dept.name}.parquet"
        columns = ", ".join(f"CAST({column} AS VARCHAR) AS {attribute}" for attribute, column in dept.columns.items())
        selects.append(f"SELECT '{dept.name}:' || {dept.key} AS unique_id, {columns} FROM read_parquet('{path}')")
    con.execute("CREATE TABLE peer_input AS " + " UNION ALL ".join(selects))
    con.execute("SELECT 1").fetchall()
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.92, 0.85]),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
            cl.ExactMatch("gender"),
            cl.ExactMatch("mobile"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            cl.LevenshteinAtThresholds("resident_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=list(PEER_BLOCKING),
        retain_matching_columns=False,
        max_iterations=20,
    )
    linker = Linker(db_api.register("peer_input"), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        ["substr(l.resident_id, 1, 17) = substr(r.resident_id, 1, 17)"], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    for rule in PEER_TRAINING:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=EM_MAX_PAIRS,
                                                                           record_sample_proportion=0.05)
    predictions = linker.inference.predict(threshold_match_probability=REVIEW_THRESHOLD, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, MATCH_THRESHOLD)
    output.mkdir(parents=True, exist_ok=True)
    target = output / "clusters.parquet"
    con.execute(f"COPY (SELECT unique_id AS record_id, CAST(cluster_id AS VARCHAR) AS cluster_id FROM "
                f"{clusters.physical_name}) TO '{target}' (FORMAT parquet)")
    return target


TOOLS = {"zhengtong": zhengtong_link, "splink": plain_splink}


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(tool: str, folder: str, output: str) -> dict:
    import duckdb  # noqa: F401  (imports before the clock, for both tools alike)
    import splink  # noqa: F401
    import splink.comparison_library  # noqa: F401

    from zhengtong.data.registry.linkage import evaluate as evaluate_module

    if tool == "zhengtong":
        import opencc  # noqa: F401
        import pypinyin  # noqa: F401

        import zhengtong.data.registry.linkage.engine  # noqa: F401
    start_rss = _memory_kb("VmRSS")
    reset = _reset_peak_rss()
    started = time.perf_counter()
    clusters = TOOLS[tool](Path(folder), Path(output))
    seconds = time.perf_counter() - started
    peak = _memory_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scores = evaluate_module.evaluate(clusters, Path(folder) / "truth.parquet")
    return {"tool": tool, "seconds": seconds, "peak_rss_kb": peak, "start_rss_kb": start_rss, "scores": scores}


# --- in the parent -----------------------------------------------------------------------------


class _Run:
    def __init__(self):
        self.directory: Path | None = None
        self.populations: dict[int, Path] = {}
        self.generation_seconds: dict[int, float] = {}
        self.records: dict[int, int] = {}
        self.measurements: dict[tuple[str, int], dict | None] = {}
        self.failures: dict[tuple[str, int], str] = {}
        self.load_averages: list[float] = []

    def dir(self) -> Path:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="zt-link-bench-"))
            atexit.register(shutil.rmtree, self.directory, True)
        return self.directory

    def population(self, persons: int) -> Path:
        if persons not in self.populations:
            from zhengtong.data.registry.linkage.synthetic import population_write

            started = time.perf_counter()
            population = population_write(self.dir() / f"persons-{persons}", persons=persons, seed=SEED)
            self.generation_seconds[persons] = time.perf_counter() - started
            self.records[persons] = population.records
            self.populations[persons] = population.folder
        return self.populations[persons]

    def measure_together(self, persons: int) -> None:
        """Round robin over the two tools, each round in fresh children; the best time counts,
        the highest peak RSS is reported."""
        if ("zhengtong", persons) in self.measurements:
            return
        folder = self.population(persons)
        taken: dict[str, list[dict]] = {"zhengtong": [], "splink": []}
        for round_ in range(ROUNDS[persons]):
            for tool in taken:
                if (tool, persons) in self.failures:
                    continue
                self.load_averages.append(os.getloadavg()[0])
                try:
                    taken[tool].append(_child(tool, folder, folder / f"out-{tool}-{round_}"))
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    self.failures[(tool, persons)] = str(error)[-600:]
        for tool, runs in taken.items():
            if not runs:
                self.measurements[(tool, persons)] = None
                continue
            best = min(runs, key=lambda r: r["seconds"])
            self.measurements[(tool, persons)] = {**best, "all_seconds": [r["seconds"] for r in runs],
                                                  "peak_rss_kb": max(r["peak_rss_kb"] for r in runs)}


def _child(tool: str, folder: Path, output: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "zhengtong.data.registry.benchmarks", tool, str(folder), str(output)],
        capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=dict(os.environ),
    )
    if result.returncode != 0:
        raise RuntimeError(f"linkage benchmark child {tool} on {folder} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


RUN = _Run()


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MiB"


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _row(label: str, persons: int, figures: dict | None) -> str:
    if figures is None:
        return f"  | {label} | {persons:,} | did not finish: {RUN.failures.get((label, persons), '?')[:200]} | | | | | | |"
    p, c = figures["scores"]["pairs"], figures["scores"]["clusters"]
    return (f"  | {label} | {persons:,} | {p['precision']:.4f} | {p['recall']:.4f} | {p['f1']:.4f} | "
            f"{c['bcubed_f1']:.4f} | {c['exact_recall']:.4f} | {figures['seconds']:.1f} | {_mb(figures['peak_rss_kb'])} |")


@benchmark
def link_persons() -> BenchmarkResult:
    for persons in SIZES:
        RUN.measure_together(persons)
    small_ours, small_peer = RUN.measurements[("zhengtong", SIZES[0])], RUN.measurements[("splink", SIZES[0])]
    big_ours, big_peer = RUN.measurements.get(("zhengtong", SIZES[-1])), RUN.measurements.get(("splink", SIZES[-1]))
    if small_ours is None or small_peer is None:
        raise RuntimeError(f"the {SIZES[0]:,}-person linkage failed: {RUN.failures}")
    # The headline: the largest size both finished.
    ours, peer, persons = (big_ours, big_peer, SIZES[-1]) if big_ours and big_peer else (small_ours, small_peer, SIZES[0])
    verdicts = []
    for size in SIZES:
        o, s = RUN.measurements.get(("zhengtong", size)), RUN.measurements.get(("splink", size))
        if o and s:
            f1_ok = o["scores"]["pairs"]["f1"] >= s["scores"]["pairs"]["f1"] and \
                o["scores"]["clusters"]["bcubed_f1"] >= s["scores"]["clusters"]["bcubed_f1"]
            time_ok = o["seconds"] <= s["seconds"] / 2
            verdicts.append(f"at {size:,} persons: F1 (pairs and B-cubed) >= the peer's: {_verdict(f1_ok)}; time "
                            f"{o['seconds'] / s['seconds']:.2f} of the peer's, target <= 0.5: {_verdict(time_ok)}")
    growth = ""
    if big_ours:
        factor = big_ours["seconds"] / small_ours["seconds"]
        growth = (f"Zhengtong's time grows {factor:.1f}x from {SIZES[0]:,} to {SIZES[-1]:,} persons, target <= 12x: "
                  f"{_verdict(factor <= 12)}")
        if big_peer:
            growth += f" (the peer's: {big_peer['seconds'] / small_peer['seconds']:.1f}x)."
        else:
            growth += "."
    else:
        growth = f"Zhengtong did not finish {SIZES[-1]:,} persons: {RUN.failures.get(('zhengtong', SIZES[-1]), '?')[:300]}"
    loads = RUN.load_averages or [os.getloadavg()[0]]
    table = "\n".join(_row(tool, size, RUN.measurements.get((tool, size))) for size in SIZES for tool in ("zhengtong", "splink"))
    notes = (
        "; ".join(verdicts) + ". " + growth + "\n\n"
        "  | tool | persons | pair precision | pair recall | pair F1 | B-cubed F1 | exact clusters | seconds | peak RSS |\n"
        "  |---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"{table}\n\n"
        f"Records: " + ", ".join(f"{RUN.records[s]:,} for {s:,} persons" for s in RUN.records) + " (four departments). "
        "Pairs: every pair of records in one predicted cluster against every pair of one person's records "
        "(pairwise F1 on co-membership); clusters: B-cubed F1 and the share of persons reproduced exactly. "
        "Wall time from reading the departments' Parquet files to the clusters written (Zhengtong: also records, "
        "pairs and report.json), training included; scoring is outside the clock. Each tool in a fresh process "
        f"per round; best of {ROUNDS[SIZES[0]]} rounds at {SIZES[0]:,} persons and {ROUNDS[SIZES[-1]]} at "
        f"{SIZES[-1]:,} (a shared 2-core machine: figures are noisy). Peak RSS is VmHWM from just before the work. "
        f"Generating the data with DuckDB took {sum(RUN.generation_seconds.values()):.0f} s. The machine's 1-minute "
        f"load average as the children started: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores. "
        "Why Zhengtong is more accurate: the peer compares dates, IDs, phones and names as written (20240102 and "
        "2024年1月2日 differ, a 15-digit ID differs from its 18-digit form, 陳麗華 from 陈丽华 and Chen Lihua); "
        "why faster: most records are placed by their valid ID in one GROUP BY, and Splink scores only the rest "
        "against one representative per person."
    )
    return BenchmarkResult(
        name="link_persons",
        subject="linkage_run: normalise + deterministic + Splink on the rest (DuckDB)",
        baseline="plain Splink 5 (DuckDB) on the raw columns, same blocking shapes",
        subject_seconds=ours["seconds"],
        baseline_seconds=peer["seconds"],
        work=f"{persons:,} persons ({RUN.records.get(persons, 0):,} records in 4 departments)",
        target="F1 >= the peer's; time <= 0.5 of the peer's; 100k -> 1M time <= 12x",
        notes=notes,
    )


if __name__ == "__main__":
    tool_name, folder_arg, output_arg = sys.argv[1:4]
    print(json.dumps(measure(tool_name, folder_arg, output_arg)))
