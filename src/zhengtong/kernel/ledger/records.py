"""What the ledger hands to other modules and to its API: frozen dataclasses, never ORM rows."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class TreeHead:
    """签名树头: the signed root of the first tree_size leaves."""

    tree_size: int
    root_hash: bytes
    timestamp: int  # milliseconds since the Unix epoch, as signed
    hash_algorithm: str  # "sm3" | "sha256"
    signature_algorithm: str  # "sm2-sm3" | "ed25519"
    key_id: str
    signature: bytes


@dataclass(frozen=True)
class Leaf:
    """One entry as anyone may see it: no body, subject or actor (they may hold personal data)."""

    id: UUID
    leaf_index: int | None  # None until sequenced
    leaf_hash: bytes
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class LeafBody:
    """One entry in full, for staff superusers and for the module that wrote it."""

    id: UUID
    leaf_index: int | None
    leaf_hash: bytes
    kind: str
    subject: str
    actor: str
    created_at: datetime
    body: str  # canonical JSON, the exact text hashed
    payload: dict


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    inclusion_path: list[bytes]
    hash_algorithm: str


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    consistency_path: list[bytes]
    hash_algorithm: str


@dataclass(frozen=True)
class LedgerEntry:
    """One entry to append, for ledger_append_many."""

    kind: str
    subject: str
    actor: str
    payload: dict
