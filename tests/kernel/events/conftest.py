import pytest
from django.core.management import call_command

from zhengtong.kernel.events import registry


@pytest.fixture
def run_worker():
    """Run the real django-tasks database worker until no task is ready, as production would."""

    def run() -> None:
        # startup_delay=False: the worker would otherwise sleep a random fraction of a second.
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


@pytest.fixture
def isolated_handlers():
    """Tests register their own handlers; put the process-wide registry back afterwards."""
    saved = {name: dict(funcs) for name, funcs in registry.HANDLERS.items()}
    yield registry.HANDLERS
    registry.HANDLERS.clear()
    registry.HANDLERS.update(saved)
