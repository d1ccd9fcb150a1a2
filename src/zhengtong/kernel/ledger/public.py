"""What other modules may use of the ledger (可信存证).

    from zhengtong.kernel.ledger.public import ledger_append

    with transaction.atomic():
        grant = Grant.objects.create(...)
        grant.ledger_leaf_id = ledger_append(
            kind="grant.created", subject=str(grant.public_id), actor=str(actor.public_id),
            payload={"dataset": "...", "purpose": "...", "fields": [...], "expires": "2026-12-31"},
        )
        grant.save()

The entry commits or rolls back with the caller's change. It is sequenced (given its index) within
seconds of the commit and covered by a signed tree head within the maximum merge delay (see
services.py); `leaf_get(leaf_id=...)` then shows its index, and anyone can fetch an inclusion proof
from /api/v1/ledger/proof/inclusion and check it with `zhengtong.kernel.ledger.auditor`.
"""

from .errors import (
    LedgerEntryError,
    LedgerError,
    LedgerIntegrityError,
    LedgerNotFound,
    LedgerPermissionDenied,
    LedgerQueryError,
)
from .records import ConsistencyProof, InclusionProof, Leaf, LeafBody, LedgerEntry, TreeHead
from .selectors import consistency_proof_get, entries_about, inclusion_proof_get, leaf_get, ledger_size, tree_head_get
from .services import (
    leaf_body_read,
    ledger_append,
    ledger_append_many,
    ledger_append_with_row,
    ledger_publish_tree_head,
    ledger_publish_tree_head_job,
    ledger_sequence,
)
from .verification import VerificationReport, ledger_verify

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "Leaf",
    "LeafBody",
    "LedgerEntry",
    "LedgerEntryError",
    "LedgerError",
    "LedgerIntegrityError",
    "LedgerNotFound",
    "LedgerPermissionDenied",
    "LedgerQueryError",
    "TreeHead",
    "VerificationReport",
    "consistency_proof_get",
    "entries_about",
    "inclusion_proof_get",
    "leaf_body_read",
    "leaf_get",
    "ledger_append",
    "ledger_append_many",
    "ledger_append_with_row",
    "ledger_publish_tree_head",
    "ledger_publish_tree_head_job",
    "ledger_sequence",
    "ledger_size",
    "ledger_verify",
    "tree_head_get",
]
