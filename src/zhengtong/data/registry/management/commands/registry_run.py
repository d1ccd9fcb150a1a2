"""`zhengtong registry_run [person|company]`: link a registry's sources and update its masters.

Runs as the platform itself (a system actor), with a progress bar over the engine's steps.
Without an argument both registries run, persons first.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from zhengtong.data.registry import services
from zhengtong.data.registry.models import Kind


class Command(BaseCommand):
    help = "Run the linkage of the person or company registry (or both) and apply it."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=Kind.values, help="person or company (default: both)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, kind=None, no_progress=False, **options):
        for one in [kind] if kind else list(Kind.values):
            run = self.run_one(one, progress=not no_progress and options.get("verbosity", 1) > 0)
            self.stdout.write(
                f"{one}: {run.records} records → {run.clusters} clusters; "
                f"{run.masters_created} new, {run.masters_merged} merged, {run.masters_split} split, "
                f"{run.masters_retired} retired, {run.masters_changed} golden records changed, "
                f"{run.pairs_for_review} pairs for review ({run.seconds:.1f}s)"
            )

    def run_one(self, kind: str, *, progress: bool):
        bar = tqdm(total=None, desc=kind, unit=" steps", file=self.stderr._out, leave=False, disable=not progress)

        def step(name: str, done: int, total: int | None) -> None:
            if total is not None and bar.total != total + 1:
                bar.total = total + 1  # the engine's steps, then applying the result
            bar.set_postfix_str(name)
            bar.update(max(0, done - bar.n) if name != "apply" else max(0, (bar.total or 0) - 1 - bar.n))

        try:
            run = services.registry_run(actor=services.SYSTEM, kind=kind, progress=step)
            bar.update(max(0, (bar.total or 0) - bar.n))
            return run
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        finally:
            bar.close()
