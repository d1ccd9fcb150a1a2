"""The demo's tests share builds: building the whole demo province takes most of a minute, so each
module builds it once (in a transaction rolled back at the end of the module) and every test runs
in a savepoint inside it. The modules are grouped per xdist worker (`xdist_group`), so a module's
tests do not each pay for a build on both workers."""

from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings


@contextmanager
def demo_built_once(django_db_blocker, lake, *, seed: int):
    """Build the demo at scale 1 with `seed` and the lake under `lake`; yield its printed output;
    roll everything back afterwards."""
    with django_db_blocker.unblock(), override_settings(LAKE_URL=lake.as_uri()):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("demo", scale=1, seed=seed, no_progress=True, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for connection in connections.all():
                connection.close()
