"""Compile every app's locale/*/LC_MESSAGES/django.po into .mo with polib (pure Python).

Django's own compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack;
the .mo files are build output and are not committed.
"""

from pathlib import Path

import polib
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the .po translation catalogues of every Zhengtong app into .mo files."

    def handle(self, *args, **options):
        compiled = 0
        for app_config in apps.get_app_configs():
            if not app_config.name.startswith("zhengtong."):
                continue
            for po_path in sorted(Path(app_config.path).glob("locale/*/LC_MESSAGES/*.po")):
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as error:
                    raise CommandError(f"{po_path}: {error}") from error
                mo_path = po_path.with_suffix(".mo")
                if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                    catalogue.save_as_mofile(str(mo_path))
                compiled += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"{compiled} catalogues compiled")
