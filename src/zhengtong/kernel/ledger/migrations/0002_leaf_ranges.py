"""Leaves are no longer updated when sequenced. The queue (leaf_index IS NULL, with its partial index)
becomes LedgerPending, one row per append, and the indexes become LedgerRange rows, one per run of
consecutive leaf ids at consecutive indexes; a leaf's id is (append number << 20) + its position.

Existing rows are carried over: every sequenced leaf keeps its index, and the pending leaves become
one pending append (they are given ids in a fresh append block, in their old order). Stored subtrees
of levels 1 and 2 are dropped: the log now stores level 3 and up (merkle.STORED_MIN_LEVEL).
"""

from django.db import migrations, models

import zhengtong.kernel.ledger.models

APPEND_SHIFT = 20


def _set_next_append(schema_editor, Pending, next_id: int) -> None:
    """Make the next LedgerPending id at least next_id, so new leaf ids start above every old one."""
    connection = schema_editor.connection
    table = Pending._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, next_id])
        else:  # AUTOINCREMENT continues after sqlite_sequence.seq, which may be set directly
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is None:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, next_id - 1])
            elif row[0] < next_id - 1:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [next_id - 1, table])


def forward(apps, schema_editor):
    Leaf = apps.get_model("ledger", "LedgerLeaf")
    Pending = apps.get_model("ledger", "LedgerPending")
    Range = apps.get_model("ledger", "LedgerRange")
    max_id = Leaf.objects.aggregate(models.Max("id"))["id__max"] or 0
    block = (max_id >> APPEND_SHIFT) + 1
    ranges = []
    for leaf_id, index in Leaf.objects.filter(leaf_index__isnull=False).order_by("leaf_index").values_list("id", "leaf_index"):
        last = ranges[-1] if ranges else None
        if last and last.first_index + last.leaf_count == index and last.first_leaf_id + last.leaf_count == leaf_id:
            last.leaf_count += 1
        else:
            ranges.append(Range(first_index=index, first_leaf_id=leaf_id, leaf_count=1))
    Range.objects.bulk_create(ranges, batch_size=500)
    pending = list(Leaf.objects.filter(leaf_index__isnull=True).order_by("id").values_list("id", "leaf_hash", "hash_algorithm"))
    # One queued append per run of pending leaves hashed with the same algorithm.
    runs = []
    for leaf_id, leaf_hash, algorithm in pending:
        if not runs or runs[-1][0] != algorithm:
            runs.append((algorithm, []))
        runs[-1][1].append((leaf_id, bytes(leaf_hash)))
    for algorithm, leaves in runs:
        Pending.objects.create(
            id=block,
            leaf_count=len(leaves),
            leaf_hashes=b"".join(leaf_hash for _, leaf_hash in leaves),
            hash_algorithm=algorithm,
        )
        for position, (leaf_id, _) in enumerate(leaves):
            Leaf.objects.filter(id=leaf_id).update(id=(block << APPEND_SHIFT) + position)
        block += 1
    _set_next_append(schema_editor, Pending, block)


def backward(apps, schema_editor):
    """Indexes back onto the leaves, and the subtrees of levels 1 and 2 back into the node table."""
    import hashlib

    Leaf = apps.get_model("ledger", "LedgerLeaf")
    Node = apps.get_model("ledger", "LedgerNode")
    Range = apps.get_model("ledger", "LedgerRange")
    State = apps.get_model("ledger", "LedgerState")
    for first in Range.objects.order_by("first_index"):
        for offset in range(first.leaf_count):
            Leaf.objects.filter(id=first.first_leaf_id + offset).update(leaf_index=first.first_index + offset)
    state = State.objects.first()
    if state is None or not state.tree_size:
        return
    level = [
        bytes(value)
        for value in Leaf.objects.filter(leaf_index__lt=state.tree_size).order_by("leaf_index").values_list("leaf_hash", flat=True)
    ]
    nodes = []
    for height in (1, 2):
        level = [
            hashlib.new(state.hash_algorithm, b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        nodes += [Node(position=(index << (height + 1)) + (1 << height) - 1, hash=value) for index, value in enumerate(level)]
    Node.objects.bulk_create(nodes, batch_size=500)


# Level 3 and up: positions with at least three trailing 1-bits (merkle.is_stored).
DROP_SMALL_NODES = "DELETE FROM ledger_ledgernode WHERE (position + 1) % 8 <> 0"


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerPending",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("leaf_count", models.PositiveIntegerField()),
                ("sequenced", models.PositiveIntegerField(default=0)),
                ("leaf_hashes", models.BinaryField()),
                ("hash_algorithm", models.CharField(max_length=8)),
            ],
            options={
                "verbose_name": "pending ledger append",
                "verbose_name_plural": "pending ledger appends",
            },
        ),
        migrations.CreateModel(
            name="LedgerRange",
            fields=[
                ("first_index", zhengtong.kernel.ledger.models.RowIdBigIntegerField(primary_key=True, serialize=False)),
                ("first_leaf_id", models.BigIntegerField(unique=True)),
                ("leaf_count", models.PositiveIntegerField()),
            ],
            options={
                "verbose_name": "sequenced ledger range",
                "verbose_name_plural": "sequenced ledger ranges",
            },
        ),
        migrations.RunPython(forward, backward),
        migrations.RunSQL(DROP_SMALL_NODES, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name="ledgerleaf",
            name="ledger_leaf_pending",
        ),
        migrations.RemoveField(
            model_name="ledgerleaf",
            name="leaf_index",
        ),
        migrations.AlterField(
            model_name="ledgernode",
            name="position",
            field=zhengtong.kernel.ledger.models.RowIdBigIntegerField(primary_key=True, serialize=False),
        ),
    ]
