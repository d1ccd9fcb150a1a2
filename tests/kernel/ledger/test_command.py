"""`zhengtong ledger sequence|publish|status`: what an operator runs by hand."""

from django.core.management import call_command

from zhengtong.kernel.ledger.public import ledger_append_many, tree_head_get

from .conftest import entries


def test_status_sequence_and_publish(db, capsys):
    call_command("ledger", "status")
    assert capsys.readouterr().out == "leaves: 0 sequenced, 0 pending\nno tree head published yet\n"

    ledger_append_many(entries=entries(3))
    call_command("ledger", "sequence", "--max-batch", "2")
    assert capsys.readouterr().out == "3 entries sequenced; the log has 3 leaves\n"

    ledger_append_many(entries=entries(2, start=3))
    call_command("ledger", "publish")
    head = tree_head_get()
    assert head.tree_size == 5
    assert capsys.readouterr().out == (
        f"tree head: size 5, root {head.root_hash.hex()} (sm3), sm2-sm3 signature by {head.key_id}\n"
    )

    call_command("ledger", "status")
    assert capsys.readouterr().out == (
        f"leaves: 5 sequenced, 0 pending\nlatest tree head: size 5, root {head.root_hash.hex()}\n"
    )
