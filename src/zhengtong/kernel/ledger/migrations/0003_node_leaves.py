"""Each stored level-3 subtree (a block of 8 leaves) carries the 8 leaf hashes under it, so that a
proof reads the levels below 3 from the block's row (merkle.STORED_MIN_LEVEL)."""

import bisect

from django.db import migrations, models

APPEND_SHIFT = 20


def fill(apps, schema_editor):
    Leaf = apps.get_model("ledger", "LedgerLeaf")
    Node = apps.get_model("ledger", "LedgerNode")
    Range = apps.get_model("ledger", "LedgerRange")
    ranges = list(Range.objects.order_by("first_index").values_list("first_index", "first_leaf_id"))
    starts = [first_index for first_index, _ in ranges]
    for position in Node.objects.values_list("position", flat=True):
        if (position + 1) & 15 != 8:  # not exactly three trailing 1-bits: not level 3
            continue
        first = position >> 4 << 3
        leaf_ids = []
        for index in range(first, first + 8):
            first_index, first_leaf_id = ranges[bisect.bisect_right(starts, index) - 1]
            leaf_ids.append(first_leaf_id + index - first_index)
        hashes = dict(Leaf.objects.filter(id__in=leaf_ids).values_list("id", "leaf_hash"))
        Node.objects.filter(position=position).update(leaves=b"".join(bytes(hashes[leaf_id]) for leaf_id in leaf_ids))


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_leaf_ranges"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgernode",
            name="leaves",
            field=models.BinaryField(blank=True, max_length=256, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
