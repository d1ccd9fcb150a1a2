"""Signed tree heads: published when the tree grew, signed over the documented bytes."""

import json

from zhengtong.kernel.crypto.public import public_keys
from zhengtong.kernel.ledger import auditor
from zhengtong.kernel.ledger.models import SignedTreeHead
from zhengtong.kernel.ledger.public import (
    LedgerEntry,
    ledger_append_many,
    ledger_publish_tree_head,
    ledger_publish_tree_head_job,
    tree_head_get,
)

from . import rfc9162_reference as ref
from .conftest import bodies_by_index


def _key_pem(key_id: str) -> str:
    return next(key.public_key_pem for key in public_keys("ledger") if key.key_id == key_id)


def test_an_empty_log_gets_one_tree_head_of_size_zero(db):
    head = ledger_publish_tree_head()
    assert (head.tree_size, head.root_hash) == (0, ref.sm3(b""))
    assert ledger_publish_tree_head() == head
    assert SignedTreeHead.objects.count() == 1


def test_a_tree_head_is_published_only_when_the_tree_grew(make_log):
    make_log(3)
    first = ledger_publish_tree_head()
    assert ledger_publish_tree_head() == first
    ledger_append_many(entries=[LedgerEntry(kind="t.x", subject="s", actor="a", payload={})])
    assert ledger_publish_tree_head() == first  # appended but not yet sequenced: the tree did not grow
    assert ledger_publish_tree_head_job() == 1  # the scheduler's job sequences first
    second = tree_head_get()
    assert (first.tree_size, second.tree_size) == (3, 4)
    assert second.timestamp >= first.timestamp
    assert list(SignedTreeHead.objects.order_by("tree_size").values_list("tree_size", flat=True)) == [3, 4]
    assert tree_head_get(tree_size=3) == first


def test_the_signature_is_sm2_over_the_documented_canonical_bytes(make_log):
    make_log(5)
    head = ledger_publish_tree_head()
    assert (head.hash_algorithm, head.signature_algorithm) == ("sm3", "sm2-sm3")
    signed = auditor.tree_head_signed_bytes(
        tree_size=5, root_hash=head.root_hash, timestamp=head.timestamp, hash_algorithm="sm3"
    )
    assert json.loads(signed) == {
        "hash_algorithm": "sm3",
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "tree_size": 5,
        "type": "zhengtong.ledger.tree_head.v1",
    }
    assert signed == (
        '{"hash_algorithm":"sm3","root_hash":"' + head.root_hash.hex() + '","timestamp":'
        + str(head.timestamp) + ',"tree_size":5,"type":"zhengtong.ledger.tree_head.v1"}'
    ).encode()
    as_api = {
        "tree_size": 5,
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "hash_algorithm": "sm3",
        "signature_algorithm": "sm2-sm3",
        "key_id": head.key_id,
        "signature": head.signature.hex(),
    }
    auditor.verify_tree_head_signature(as_api, _key_pem(head.key_id))
    for field, value in [("tree_size", 6), ("root_hash", "00" * 32), ("timestamp", head.timestamp + 1)]:
        try:
            auditor.verify_tree_head_signature(as_api | {field: value}, _key_pem(head.key_id))
        except auditor.VerificationError:
            continue
        raise AssertionError(f"an edited {field} verified")


def test_the_international_profile_signs_with_ed25519_over_sha256_trees(make_log, international):
    make_log(3)
    head = ledger_publish_tree_head()
    assert (head.hash_algorithm, head.signature_algorithm) == ("sha256", "ed25519")
    bodies = bodies_by_index()
    assert head.root_hash == ref.mth(ref.sha256, bodies)
    auditor.verify_tree_head_signature(
        {
            "tree_size": 3,
            "root_hash": head.root_hash.hex(),
            "timestamp": head.timestamp,
            "hash_algorithm": "sha256",
            "signature_algorithm": "ed25519",
            "key_id": head.key_id,
            "signature": head.signature.hex(),
        },
        _key_pem(head.key_id),
    )
