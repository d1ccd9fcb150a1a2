"""`zhengtong share_sync`: make the sharing directory match the catalog and the base registries.

One service per published dataset that may be shared and has a single-field primary key, and the
two registry services; services whose dataset may no longer be shared are deactivated. Prints what
changed and what was left out, and why. Safe to run again at any time.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from zhengtong.data.exchange.services import directory_sync_report


class Command(BaseCommand):
    help = "Synchronise the sharing service directory with the catalog and the registries."

    def handle(self, *args, **options):
        report = directory_sync_report()
        for label, codes in ((_("created"), report.created), (_("updated"), report.updated),
                             (_("deactivated"), report.deactivated)):
            for code in codes:
                self.stdout.write(f"  {label}: {code}")
        for code, why in report.skipped:
            self.stdout.write(_("  skipped: %(code)s (%(why)s)") % {"code": code, "why": why})
        self.stdout.write(_("%(count)s sharing services are in the directory.") % {"count": report.active})
