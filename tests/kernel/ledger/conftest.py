import os
from pathlib import Path

import polib
import pytest
from asgiref.local import Local
from django.core.management import call_command
from django.utils.translation import trans_real

from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerRange
from zhengtong.kernel.ledger.public import LedgerEntry, ledger_append_many, ledger_sequence

LOCALE = Path(__file__).resolve().parents[3] / "src" / "zhengtong" / "kernel" / "ledger" / "locale"


@pytest.fixture(scope="session", autouse=True)
def ledger_translations_compiled():
    """The Chinese messages come from the .mo file, build output that `make test` compiles first.

    Compiled here too when missing or stale, so `pytest tests/kernel/ledger` alone works on a fresh
    checkout: written to a temporary file and renamed (parallel workers may both do it), then
    Django's cached catalogues are dropped as its own setting_changed handler does.
    """
    compiled = False
    for po_path in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        temporary = mo_path.with_suffix(f".mo.{os.getpid()}")
        polib.pofile(str(po_path)).save_as_mofile(str(temporary))
        os.replace(temporary, mo_path)
        compiled = True
    if compiled:
        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = Local()


@pytest.fixture
def international(settings):
    """The international profile: SHA-256 leaves and nodes, Ed25519 tree heads."""
    settings.CRYPTO_PROFILE = "international"
    return settings


def entries(count: int, start: int = 0) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            kind="test.entry",
            subject=f"subject-{number}",
            actor="tester",
            payload={"n": number, "名称": f"第{number}条"},
        )
        for number in range(start, start + count)
    ]


@pytest.fixture
def make_log(db):
    """A log of `size` sequenced leaves, appended through the real service in batches."""

    def make(size: int, *, batch: int = 1000) -> list:
        ids = []
        for offset in range(0, size, batch):
            ids += ledger_append_many(entries=entries(min(batch, size - offset), offset))
        ledger_sequence(max_batch=batch)
        return ids

    return make


@pytest.fixture
def run_worker():
    """Run the real django-tasks database worker until no task is ready, as production would."""

    def run() -> None:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run



def leaf_ids_by_index() -> list[int]:
    """The database ids of the sequenced leaves in index order, read from the stored ranges."""
    ids: list[int] = []
    for first_index, first_leaf_id, count in LedgerRange.objects.order_by("first_index").values_list(
        "first_index", "first_leaf_id", "leaf_count"
    ):
        assert first_index == len(ids), "the stored ranges leave a gap"
        ids += range(first_leaf_id, first_leaf_id + count)
    return ids


def leaves_by_index() -> list[LedgerLeaf]:
    ids = leaf_ids_by_index()
    rows = LedgerLeaf.objects.in_bulk(ids)
    return [rows[leaf_id] for leaf_id in ids]


def leaf_at(index: int) -> LedgerLeaf:
    return LedgerLeaf.objects.get(pk=leaf_ids_by_index()[index])


def bodies_by_index() -> list[bytes]:
    return [leaf.body.encode() for leaf in leaves_by_index()]


def rewrite_ranges(leaf_ids: list[int]) -> None:
    """Store `leaf_ids` as the log's leaves 0, 1, 2…, as someone editing the database would."""
    LedgerRange.objects.all().delete()
    LedgerRange.objects.bulk_create(
        LedgerRange(first_index=index, first_leaf_id=leaf_id, leaf_count=1) for index, leaf_id in enumerate(leaf_ids)
    )
