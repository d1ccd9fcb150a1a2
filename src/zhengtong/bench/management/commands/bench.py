"""`zhengtong bench`: run the registered benchmarks and write docs/benchmarks.md."""

import importlib
import json
import os
import platform
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from zhengtong.bench import REGISTRY, BenchmarkResult


def discover() -> None:
    """Each app may keep its benchmarks in a `benchmarks` module; importing it registers them."""
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("zhengtong."):
            try:
                importlib.import_module(f"{app_config.name}.benchmarks")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.benchmarks":
                    raise


def machine_description() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def select(names: list[str]) -> dict:
    """The benchmarks named, each name exact or a prefix ("link" runs link_persons, link_companies)."""
    if not names:
        return dict(REGISTRY)
    selected = {}
    for wanted in names:
        found = {n: f for n, f in REGISTRY.items() if n == wanted or n.startswith(wanted + "_")}
        if not found:
            raise CommandError(f"no benchmark called {wanted!r}; registered: {', '.join(sorted(REGISTRY))}")
        selected.update(found)
    return selected


def stored_results(path: Path) -> dict[str, dict]:
    """Results of earlier runs kept beside the report, so running a few benchmarks updates their
    rows and leaves the others' (each row says when and where it was measured)."""
    if not path.exists():
        return {}
    try:
        return {entry["name"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["results"]}
    except (ValueError, KeyError, TypeError):
        return {}


class Command(BaseCommand):
    help = "Run the benchmarks (each against a peer or bare baseline in the same run) and write a report."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="docs/benchmarks.md")
        parser.add_argument("names", nargs="*", help="run only these benchmarks (a name or a name prefix)")

    def handle(self, *args, output, names, **options):
        discover()
        selected = select(names)
        output = Path(output)
        store = output.with_suffix(".json")
        # A full run replaces every row; a partial run keeps the rows it did not rerun.
        entries = stored_results(store) if names else {}
        run_at = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
        for name, func in sorted(selected.items()):
            self.stdout.write(f"running {name} …")
            result = func()
            self.stdout.write(f"  {result.subject} vs {result.baseline}: ratio {result.ratio:.2f}")
            entries[result.name] = {**asdict(result), "run_at": run_at, "machine": machine_description()}
        output.parent.mkdir(parents=True, exist_ok=True)
        ordered = [entries[n] for n in sorted(entries)]
        store.write_text(json.dumps({"results": ordered}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        output.write_text(render(ordered), encoding="utf-8")
        self.stdout.write(f"{len(selected)} benchmarks run; report written to {output}")


def render(entries: list[dict]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`zhengtong bench`). Every benchmark runs Zhengtong and a peer or bare",
        "baseline on the same data in the same run and reports the ratio (subject time / baseline time).",
        "`zhengtong bench NAME…` reruns some of them and keeps the other rows; each row says when it ran.",
        "",
    ]
    machines = sorted({e.get("machine", "") for e in entries} - {""})
    for machine in machines:
        lines.append(f"- Machine: {machine}")
    if machines:
        lines.append("")
    if not entries:
        lines += ["No benchmarks are registered yet.", ""]
        return "\n".join(lines)
    lines += [
        "| benchmark | work | subject | baseline | subject s | baseline s | ratio | target | run at |",
        "|---|---|---|---|---:|---:|---:|---|---|",
    ]
    for e in entries:
        result = BenchmarkResult(**{k: v for k, v in e.items() if k in BenchmarkResult.__dataclass_fields__})
        lines.append(
            f"| {result.name} | {result.work} | {result.subject} | {result.baseline} | "
            f"{result.subject_seconds:.3f} | {result.baseline_seconds:.3f} | {result.ratio:.2f} | "
            f"{result.target} | {e.get('run_at', '')} |"
        )
    notes = [f"- **{e['name']}**: {e['notes']}" for e in entries if e.get("notes")]
    if notes:
        lines += ["", "## Notes", "", *notes]
    lines.append("")
    return "\n".join(lines)
