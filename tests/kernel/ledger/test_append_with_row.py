"""ledger_append_with_row: a caller's log row and its ledger entries, all or nothing (on PostgreSQL
one self-committing statement)."""

import pytest
from django.db import IntegrityError, connection

from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerPending
from zhengtong.kernel.ledger.public import ledger_append_with_row, ledger_sequence, leaf_get

from .conftest import entries

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "zt_test_call_log"


@pytest.fixture
def log_table():
    uuid_type = "uuid" if connection.vendor == "postgresql" else "char(32)"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, note varchar(20) NOT NULL, leaf {uuid_type})")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, note, leaf FROM {TABLE} ORDER BY id")
        return cursor.fetchall()


def test_the_row_names_the_first_leaf_and_every_entry_is_sequenced(log_table):
    made = entries(3)
    ids = ledger_append_with_row(entries=made, table=TABLE, columns=["id", "note", "leaf"], values=[1, "ok", None],
                                 leaf_column="leaf")

    assert len(ids) == 3
    (row,) = _rows()
    assert row[:2] == (1, "ok")
    assert str(row[2]).replace("-", "") == ids[0].hex
    assert [leaf.subject for leaf in LedgerLeaf.objects.order_by("id")] == [e.subject for e in made]
    assert LedgerPending.objects.get().leaf_count == 3
    ledger_sequence()
    assert [leaf_get(leaf_id=i).leaf_index for i in ids] == [0, 1, 2]


def test_a_row_that_cannot_be_written_leaves_no_entry(log_table):
    ledger_append_with_row(entries=entries(1), table=TABLE, columns=["id", "note", "leaf"], values=[1, "first", None],
                           leaf_column="leaf")
    with pytest.raises(IntegrityError):
        ledger_append_with_row(entries=entries(2, start=1), table=TABLE, columns=["id", "note", "leaf"],
                               values=[1, "same id", None], leaf_column="leaf")

    assert [r[1] for r in _rows()] == ["first"]
    assert LedgerLeaf.objects.count() == 1
    assert LedgerPending.objects.count() == 1


def test_the_leaf_column_must_be_one_of_the_row(log_table):
    with pytest.raises(ValueError, match="leaf"):
        ledger_append_with_row(entries=entries(1), table=TABLE, columns=["id", "note"], values=[1, "x"],
                               leaf_column="leaf")
    assert LedgerLeaf.objects.count() == 0
