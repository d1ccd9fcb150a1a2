"""`zhengtong bench`: run the registered benchmarks and write docs/benchmarks.md."""

import importlib
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand

from zhengtong.bench import REGISTRY


def discover() -> None:
    """Each app may keep its benchmarks in a `benchmarks` module; importing it registers them."""
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("zhengtong."):
            try:
                importlib.import_module(f"{app_config.name}.benchmarks")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.benchmarks":
                    raise


class Command(BaseCommand):
    help = "Run the benchmarks (each against a peer or bare baseline in the same run) and write a report."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="docs/benchmarks.md")
        parser.add_argument("names", nargs="*", help="run only these benchmarks")

    def handle(self, *args, output, names, **options):
        discover()
        selected = {n: f for n, f in REGISTRY.items() if not names or n in names}
        results = []
        for name, func in sorted(selected.items()):
            self.stdout.write(f"running {name} …")
            result = func()
            results.append(result)
            self.stdout.write(f"  {result.subject} vs {result.baseline}: ratio {result.ratio:.2f}")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(render(results), encoding="utf-8")
        self.stdout.write(f"{len(results)} benchmarks; report written to {output}")


def render(results) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`zhengtong bench`). Every benchmark runs Zhengtong and a peer or bare",
        "baseline on the same data in the same run and reports the ratio (subject time / baseline time).",
        "",
        f"- Run at: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        "",
    ]
    if not results:
        lines += ["No benchmarks are registered yet.", ""]
        return "\n".join(lines)
    lines += [
        "| benchmark | work | subject | baseline | subject s | baseline s | ratio | target |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.work} | {r.subject} | {r.baseline} | {r.subject_seconds:.3f} | "
            f"{r.baseline_seconds:.3f} | {r.ratio:.2f} | {r.target} |"
        )
    notes = [f"- **{r.name}**: {r.notes}" for r in results if r.notes]
    if notes:
        lines += ["", "## Notes", "", *notes]
    lines.append("")
    return "\n".join(lines)
