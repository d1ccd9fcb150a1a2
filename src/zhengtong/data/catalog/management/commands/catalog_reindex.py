"""`zhengtong catalog_reindex`: index every dataset for search afresh.

Each change re-indexes its dataset after the commit; this rebuilds the whole index after a
restore, or when an after-commit indexing failed (it is logged, never lost silently).
"""

from django.core.management.base import BaseCommand

from zhengtong.data.catalog.services import catalog_search_reindex


class Command(BaseCommand):
    help = "Index every dataset of the catalog for search afresh."

    def handle(self, *args, **options):
        count = catalog_search_reindex()
        self.stdout.write(f"Indexed {count} datasets.")
