"""A second, deliberately naive implementation of RFC 9162 §2.1, written straight from the RFC text.

Recursive over the list of leaves, recomputing every subtree each time: slow, and obviously the
RFC's definitions, which is the point. The ledger's stored-node proofs are checked against it.
"""

import hashlib


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(h, leaves: list[bytes]) -> bytes:
    """MTH({}) = HASH(); MTH({d(0)}) = HASH(0x00 || d(0)); MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(leaves)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + leaves[0])
    k = _k(n)
    return h(b"\x01" + mth(h, leaves[:k]) + mth(h, leaves[k:]))


def path(h, m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (§2.1.3.1)."""
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(h, m, leaves[:k]) + [mth(h, leaves[k:])]
    return path(h, m - k, leaves[k:]) + [mth(h, leaves[:k])]


def proof(h, m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (§2.1.4.1)."""
    return subproof(h, m, leaves, True)


def subproof(h, m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(h, leaves)]
    k = _k(n)
    if m <= k:
        return subproof(h, m, leaves[:k], b) + [mth(h, leaves[k:])]
    return subproof(h, m - k, leaves[k:], False) + [mth(h, leaves[:k])]
