"""`zhengtong share_publish CODE…|--all`: publish the current dataset versions to sharing services.

Loads publish their service on their own (the ingest.load_succeeded handler); this is for a new
service, a re-publish after a change of the service's fields, or `--dataset-version N` to serve an older
version again.
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from zhengtong.data.exchange.models import ServiceKind, SharingService
from zhengtong.data.exchange.publishing import service_publish


class Command(BaseCommand):
    help = "Publish dataset versions to their sharing services (the gateway's serving index)."

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", metavar="CODE", help="Service codes, e.g. ds-330106-ga-00001.")
        parser.add_argument("--all", action="store_true", help="Every active dataset service.")
        parser.add_argument("--dataset-version", dest="dataset_version", type=int, default=None,
                            help="The dataset version (default: current).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, codes=(), all=False, dataset_version=None, no_progress=False, **options):
        version = dataset_version
        if bool(codes) == bool(all):
            raise CommandError("Name service codes, or --all (not both).")
        if version is not None and (all or len(codes) != 1):
            raise CommandError("--dataset-version goes with one service code.")
        if all:
            services = list(SharingService.objects.filter(kind=ServiceKind.DATASET, is_active=True).order_by("code"))
        else:
            found = {s.code: s for s in SharingService.objects.filter(code__in=codes)}
            unknown = [c for c in codes if c not in found]
            if unknown:
                raise CommandError(f"No sharing service {', '.join(unknown)}.")
            services = [found[c] for c in codes]
        failures = 0
        show = not no_progress and options.get("verbosity", 1) > 0
        for service in services:
            if service.kind != ServiceKind.DATASET:
                self.stderr.write(f"{service.code}: a registry service is served live; nothing to publish.")
                continue
            bar = tqdm(desc=service.code, unit=" rows", file=self.stderr._out, leave=False, disable=not show)

            def progress(done: int, _total: int, bar=bar) -> None:
                bar.update(done - bar.n)

            try:
                count = service_publish(service_id=service.pk, version=version, progress=progress)
            except ValueError as error:
                failures += 1
                self.stderr.write(f"{service.code}: {error}")
                continue
            finally:
                bar.close()
            service.refresh_from_db()
            self.stdout.write(f"{service.code}: version {service.published_version}, {count} records")
        if failures:
            raise CommandError(f"{failures} service(s) not published.")
