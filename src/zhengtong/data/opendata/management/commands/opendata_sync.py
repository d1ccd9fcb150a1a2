"""`zhengtong opendata_sync`: re-derive every dataset's public face from the catalog and make the
served copies that are missing or stale.

Catalog changes and loads do this on their own (the event handlers); this is for a first run, a
repair, or after a change of the visibility rule.
"""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from zhengtong.data.catalog.public import dataset_ids_all
from zhengtong.data.opendata.records import served_table_build
from zhengtong.data.opendata.visibility import open_dataset_sync


class Command(BaseCommand):
    help = "Sync the open-data portal with the catalog and serve each open dataset's current version."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, no_progress=False, **options):
        dataset_ids = dataset_ids_all()
        public = served = 0
        show = not no_progress and options.get("verbosity", 1) > 0
        for dataset_id in tqdm(dataset_ids, desc="opendata", unit="dataset", disable=not show):
            open_dataset = open_dataset_sync(dataset_id)
            if open_dataset is None:
                continue
            public += 1
            current = getattr(open_dataset, "served", None)
            if open_dataset.version is not None and (current is None or current.version != open_dataset.version):
                if served_table_build(open_dataset.id) is not None:
                    served += 1
        self.stdout.write(f"{public} of {len(dataset_ids)} datasets are public; {served} served copies made.")
