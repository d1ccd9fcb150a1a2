"""Fixtures shared by the whole suite: a small slice of the demo province's real divisions."""

from dataclasses import dataclass
from datetime import date

import pytest

from tests.kernel.identity.factories import PASSWORD, CitizenFactory, CompanyFactory, StaffFactory, org_load
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Division
from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

# Province, two cities, three counties and a township: enough for scoping and escalation.
SMALL_PROVINCE_CODES = {"330000", "330100", "330106", "330108", "330106004", "330200", "330203"}


@pytest.fixture
def small_province(db):
    """Divisions of a small slice of Zhejiang and their standard departments."""
    divisions_load(rows=[row for row in division_rows_bundled() if row.code in SMALL_PROVINCE_CODES])
    departments_create_standard()


@pytest.fixture
def departments(small_province) -> dict[str, Department]:
    return {department.code: department for department in Department.objects.all()}


@dataclass
class People:
    """Users of the small province, and their actors."""

    users: dict[str, User]

    def actor(self, name: str) -> Actor:
        # Fresh from the database, as a request would build it.
        return actor_from_user(User.objects.get(pk=self.users[name].pk))


def people_create(staff: dict[str, tuple[str, list[str]]], *, citizens: dict[str, str] | None = None) -> People:
    """Staff (name: (department code, roles)) and citizens of Xihu (name: resident ID), built
    through the identity services; a module's `people` fixture adds what else it needs."""
    users = {}
    for name, (code, roles) in staff.items():
        users[name] = identity_services.staff_create(
            username=name, name=name, department=Department.objects.get(code=code), roles=roles, password=PASSWORD
        ).user
    xihu = Division.objects.get(code="330106")
    for name, resident_id in (citizens if citizens is not None else {"citizen": "110102199101010078"}).items():
        users[name] = identity_services.citizen_create(
            resident_id=resident_id, name=name, gender="M", birth_date=date(1991, 1, 1), division=xihu,
            password=PASSWORD,
        ).user
    return People(users)


# Accounts for the identity, web and browser tests: Xihu's market regulation bureau, one citizen,
# one company and one officer, each built through the identity services.
@pytest.fixture
def department(db):
    return org_load()


@pytest.fixture
def citizen(department):
    return CitizenFactory()


@pytest.fixture
def company(department):
    return CompanyFactory()


@pytest.fixture
def officer(department):
    return StaffFactory()


@pytest.fixture(autouse=True)
def language_reset():
    """Each test starts and ends in the default language. A request through LocaleMiddleware leaves
    its language active on the thread, so a test that asked for English would otherwise decide the
    language of whichever test the same worker runs next."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def ledger_check_throttle_reset(monkeypatch):
    """Each test starts as a fresh process would: its first ledger commit checks for a sequencing
    task (kernel.ledger throttles that check per process, SEQUENCING_CHECK_INTERVAL)."""
    from zhengtong.kernel.ledger import services as ledger_services

    monkeypatch.setattr(ledger_services, "_sequencing_checked_at", -1e9)


@pytest.fixture
def shared_database_url(transactional_db, tmp_path):
    """A database URL that other processes can open, holding the migrated test schema: on
    PostgreSQL the test database itself; on SQLite (whose test database lives in one process's
    memory) a file copy of it made with VACUUM INTO, instead of migrating a new file, which costs
    most of half a minute."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "shared.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])
        return f"sqlite:///{path}"
    return (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")


# --- The PostgreSQL pass ------------------------------------------------------------------------
#
# Test modules that never reach a database: no test in them asks for one (pytest-django blocks the
# database for such tests, so they cannot touch it), and nothing in them depends on the engine.
# They run in the SQLite pass; the PostgreSQL pass (scripts/run-tests) would only repeat them.
ENGINE_INDEPENDENT = (
    "data/registry/linkage/",  # record linkage on files: DuckDB and Spark, no database
    "data/ingest/test_rules.py",  # rules compiled to DuckDB SQL
    "data/quality/test_scoring.py",
    "kernel/calendar/test_calendar_tags.py",
    "kernel/crypto/test_command.py",
    "kernel/crypto/test_interop.py",
    "kernel/crypto/test_primitives.py",
    "kernel/crypto/test_public.py",
    "kernel/ids/test_credit_code.py",
    "kernel/ids/test_forms.py",
    "kernel/ids/test_messages.py",
    "kernel/ids/test_mobile.py",
    "kernel/ids/test_properties.py",
    "kernel/ids/test_resident_id.py",
    "kernel/ledger/test_canonical_json.py",
    "kernel/ledger/test_merkle.py",
    "kernel/masking/",
    "services/onething/test_merging.py",
    "test_translations.py",
)
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                     "live_server"}


def pytest_configure(config):
    config.addinivalue_line("markers", "engine_independent: never reaches a database (ENGINE_INDEPENDENT in "
                                       "tests/conftest.py); the PostgreSQL pass leaves it to the SQLite pass")


def pytest_collection_modifyitems(config, items):
    import os

    tests_root = os.path.dirname(os.path.abspath(__file__)) + os.sep
    on_postgresql = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    kept, left = [], []
    for item in items:
        path = str(item.path)
        relative = path[len(tests_root):] if path.startswith(tests_root) else path
        if relative.startswith(ENGINE_INDEPENDENT):
            if DATABASE_FIXTURES & set(item.fixturenames) or item.get_closest_marker("django_db"):
                raise pytest.UsageError(f"{item.nodeid} uses the database: take its module out of ENGINE_INDEPENDENT")
            item.add_marker(pytest.mark.engine_independent)
            if on_postgresql:
                left.append(item)
                continue
        kept.append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
