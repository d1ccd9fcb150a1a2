"""A standalone verifier for the ledger, as an outside auditor would run it. No Django import.

It trusts nothing from the server but the public key (pin it with --public-key; otherwise the key
the server lists is used and the output says so). What it checks:

- a signed tree head: the SM2 (or Ed25519) signature over the tree head's canonical bytes;
- an inclusion proof against a tree head (RFC 9162 §2.1.3.2);
- a consistency proof between two tree heads (RFC 9162 §2.1.4.2): the log only grew.

Wire format (the public API under /api/v1/ledger/): every hash and signature is lower-case hex.
A signed tree head is signed over these UTF-8 bytes, canonical JSON with keys in this order and no
spaces (``tree_head_signed_bytes``):

    {"hash_algorithm":"sm3","root_hash":"<hex>","timestamp":<ms since epoch>,"tree_size":<n>,
     "type":"zhengtong.ledger.tree_head.v1"}

A leaf hash is HASH(0x00 || leaf body) where the body is the leaf's canonical JSON in UTF-8; a node
hash is HASH(0x01 || left || right); HASH is SM3 or SHA-256 as the tree head's hash_algorithm says.

Command line:

    python -m zhengtong.kernel.ledger.auditor --server https://ledger.example.gov.cn --leaf <uuid>
        [--public-key ledger.pem] [--since-tree-size M] [--leaf-hash <hex>] [--leaf-body body.json]

exits 0 when every check passed, 1 when one failed, 2 when the server could not be asked.
"""

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence

from zhengtong.kernel.crypto import primitives
from zhengtong.kernel.ledger.canonical_json import canonical_json_bytes

TREE_HEAD_TYPE = "zhengtong.ledger.tree_head.v1"
HASH_ALGORITHMS = ("sm3", "sha256")
DIGEST_SIZE = 32  # both SM3 and SHA-256


class VerificationError(Exception):
    """A proof, tree head or signature does not check out; the message says which and why."""


def digest_function(hash_algorithm: str) -> Callable[[bytes], bytes]:
    if hash_algorithm == "sm3":
        return primitives.sm3
    if hash_algorithm == "sha256":
        return primitives.sha256
    raise VerificationError(f"unknown hash algorithm {hash_algorithm!r} (known: {', '.join(HASH_ALGORITHMS)})")


def leaf_hash(hash_algorithm: str, leaf: bytes) -> bytes:
    return digest_function(hash_algorithm)(b"\x00" + leaf)


def tree_head_signed_bytes(*, tree_size: int, root_hash: bytes, timestamp: int, hash_algorithm: str) -> bytes:
    """The exact bytes a tree head's signature covers (see the module docstring)."""
    return canonical_json_bytes(
        {
            "hash_algorithm": hash_algorithm,
            "root_hash": root_hash.hex(),
            "timestamp": timestamp,
            "tree_size": tree_size,
            "type": TREE_HEAD_TYPE,
        }
    )


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != DIGEST_SIZE:
        raise VerificationError(f"{name} has {len(value)} bytes, not {DIGEST_SIZE}")


def root_from_inclusion_proof(
    *, hash_algorithm: str, leaf_hash: bytes, leaf_index: int, tree_size: int, inclusion_path: Sequence[bytes]
) -> bytes:
    """RFC 9162 §2.1.3.2 steps 1-4: the root that the path leads to from the leaf hash."""
    digest = digest_function(hash_algorithm)
    _check_hash("the leaf hash", leaf_hash)
    if not 0 <= leaf_index < tree_size:
        raise VerificationError(f"leaf index {leaf_index} is not below the tree size {tree_size}")
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    for position, p in enumerate(inclusion_path):
        _check_hash(f"inclusion_path[{position}]", p)
        if sn == 0:
            raise VerificationError(f"the inclusion path is longer than a tree of size {tree_size} allows")
        if fn & 1 or fn == sn:
            r = digest(b"\x01" + p + r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = digest(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(f"the inclusion path is shorter than a tree of size {tree_size} needs")
    return r


def verify_inclusion(
    *,
    hash_algorithm: str,
    leaf_hash: bytes,
    leaf_index: int,
    tree_size: int,
    inclusion_path: Sequence[bytes],
    root_hash: bytes,
) -> None:
    """RFC 9162 §2.1.3.2: raise VerificationError unless the path proves the leaf is in the tree."""
    _check_hash("the root hash", root_hash)
    computed = root_from_inclusion_proof(
        hash_algorithm=hash_algorithm,
        leaf_hash=leaf_hash,
        leaf_index=leaf_index,
        tree_size=tree_size,
        inclusion_path=inclusion_path,
    )
    if computed != root_hash:
        raise VerificationError(
            f"the inclusion path for leaf {leaf_index} leads to {computed.hex()}, "
            f"not to the root {root_hash.hex()} of the tree of size {tree_size}"
        )


def verify_consistency(
    *,
    hash_algorithm: str,
    first: int,
    second: int,
    first_hash: bytes,
    second_hash: bytes,
    consistency_path: Sequence[bytes],
) -> None:
    """RFC 9162 §2.1.4.2: raise VerificationError unless the tree of size second extends first."""
    digest = digest_function(hash_algorithm)
    _check_hash("the first root hash", first_hash)
    _check_hash("the second root hash", second_hash)
    if not 0 < first <= second:
        raise VerificationError(f"no consistency proof goes from {first} to {second} (need 0 < first <= second)")
    if first == second:
        # PROOF(m, D[m]) is empty (§2.1.4.1); the trees are consistent exactly when the roots match.
        if consistency_path:
            raise VerificationError("a proof between equal tree sizes must be empty")
        if first_hash != second_hash:
            raise VerificationError(f"two different roots for the same tree size {first}")
        return
    path = list(consistency_path)
    for position, c in enumerate(path):
        _check_hash(f"consistency_path[{position}]", c)
    # 1. An empty path cannot prove anything between different sizes.
    if not path:
        raise VerificationError("the consistency path is empty")
    # 2. When first is a power of two its root is a node of the second tree: start from it.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3.-4.
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("the consistency path is longer than the tree sizes allow")
        if fn & 1 or fn == sn:
            fr = digest(b"\x01" + c + fr)
            sr = digest(b"\x01" + c + sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = digest(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise VerificationError("the consistency path is shorter than the tree sizes need")
    if fr != first_hash:
        raise VerificationError(f"the path rebuilds the first root as {fr.hex()}, not {first_hash.hex()}")
    if sr != second_hash:
        raise VerificationError(f"the path rebuilds the second root as {sr.hex()}, not {second_hash.hex()}")


def verify_tree_head_signature(tree_head: dict, public_key_pem: str | bytes) -> None:
    """Check a tree head as the API returns it (hex fields) against the log's public key."""
    try:
        root_hash = bytes.fromhex(tree_head["root_hash"])
        signature = bytes.fromhex(tree_head["signature"])
        signed = tree_head_signed_bytes(
            tree_size=int(tree_head["tree_size"]),
            root_hash=root_hash,
            timestamp=int(tree_head["timestamp"]),
            hash_algorithm=tree_head["hash_algorithm"],
        )
        algorithm = tree_head["signature_algorithm"]
    except (KeyError, TypeError, ValueError) as error:
        raise VerificationError(f"the tree head is malformed: {error!r}") from error
    _check_hash("the root hash", root_hash)
    try:
        valid = primitives.verify(public_key_pem, signed, signature, algorithm)
    except ValueError as error:  # not a PEM of an SM2 or Ed25519 key
        raise VerificationError(f"the public key cannot be read: {error}") from error
    if not valid:
        raise VerificationError(
            f"the {algorithm} signature of the tree head of size {tree_head['tree_size']} does not verify "
            f"with key {tree_head.get('key_id', '?')}"
        )


# ---------------------------------------------------------------------------------------------
# The command line: fetch over HTTP and check.


class FetchError(Exception):
    """The server could not be asked, or answered with an error."""


def fetch_json(server: str, path: str, params: dict | None = None, timeout: float = 30) -> dict | list:
    url = server.rstrip("/") + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:500]
        raise FetchError(f"GET {url}: HTTP {error.code}: {detail}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FetchError(f"GET {url}: {error}") from error


def audit_leaf(
    *,
    server: str,
    leaf: str,
    public_key_pem: str | None = None,
    since_tree_size: int | None = None,
    expected_leaf_hash: bytes | None = None,
    report: Callable[[str], None] = print,
) -> None:
    """Fetch the latest tree head and a proof for the leaf, and check both (and consistency).

    Raises VerificationError when a check fails, FetchError when the server cannot be asked.
    """
    if not server.startswith(("http://", "https://")):
        raise FetchError(f"{server!r} is not an http(s) URL")
    head = fetch_json(server, "/api/v1/ledger/tree-head")
    keys = None
    if public_key_pem is None:
        keys = fetch_json(server, "/api/v1/ledger/public-keys")
    key_pem = public_key_pem or _key_for(keys, head["key_id"])
    verify_tree_head_signature(head, key_pem)
    origin = "pinned" if public_key_pem else "listed by the server (pin it with --public-key)"
    report(
        f"OK tree head: size {head['tree_size']}, root {head['root_hash']}, {head['hash_algorithm']}, "
        f"{head['signature_algorithm']} signature by key {head['key_id']} ({origin})"
    )

    proof = fetch_json(
        server, "/api/v1/ledger/proof/inclusion", {"leaf": leaf, "tree_size": head["tree_size"]}
    )
    proved_leaf_hash = bytes.fromhex(proof["leaf_hash"])
    if expected_leaf_hash is not None and proved_leaf_hash != expected_leaf_hash:
        raise VerificationError(
            f"the server gives leaf {leaf} the hash {proved_leaf_hash.hex()}, not the expected "
            f"{expected_leaf_hash.hex()}"
        )
    if int(proof["tree_size"]) != int(head["tree_size"]):
        raise VerificationError(f"asked for a proof at size {head['tree_size']}, got one at {proof['tree_size']}")
    verify_inclusion(
        hash_algorithm=head["hash_algorithm"],
        leaf_hash=proved_leaf_hash,
        leaf_index=int(proof["leaf_index"]),
        tree_size=int(head["tree_size"]),
        inclusion_path=[bytes.fromhex(h) for h in proof["inclusion_path"]],
        root_hash=bytes.fromhex(head["root_hash"]),
    )
    report(
        f"OK inclusion: leaf {leaf} (hash {proved_leaf_hash.hex()}) is leaf {proof['leaf_index']} "
        f"of the tree of size {head['tree_size']}"
        + ("" if expected_leaf_hash is not None else " (leaf hash as the server gives it)")
    )

    if since_tree_size is not None:
        old = fetch_json(server, "/api/v1/ledger/tree-head", {"tree_size": since_tree_size})
        old_key = public_key_pem or _key_for(keys, old["key_id"])
        verify_tree_head_signature(old, old_key)
        if old["hash_algorithm"] != head["hash_algorithm"]:
            raise VerificationError("the two tree heads name different hash algorithms")
        consistency = fetch_json(
            server,
            "/api/v1/ledger/proof/consistency",
            {"first": old["tree_size"], "second": head["tree_size"]},
        )
        verify_consistency(
            hash_algorithm=head["hash_algorithm"],
            first=int(old["tree_size"]),
            second=int(head["tree_size"]),
            first_hash=bytes.fromhex(old["root_hash"]),
            second_hash=bytes.fromhex(head["root_hash"]),
            consistency_path=[bytes.fromhex(h) for h in consistency["consistency_path"]],
        )
        report(f"OK consistency: the tree of size {head['tree_size']} extends the signed tree of size {old['tree_size']}")


def _key_for(keys, key_id: str) -> str:
    for key in keys or []:
        if key.get("key_id") == key_id:
            return key["public_key_pem"]
    raise VerificationError(f"the server lists no public key with id {key_id}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zhengtong.kernel.ledger.auditor",
        description="Check that a ledger entry is in the log's latest signed tree head, as an outside auditor.",
    )
    parser.add_argument("--server", required=True, help="base URL, e.g. https://zhengtong.example.gov.cn")
    parser.add_argument("--leaf", required=True, help="the leaf id (UUID) or leaf index")
    parser.add_argument("--public-key", help="PEM file of the log's public key (else the server's list is used)")
    parser.add_argument("--since-tree-size", type=int, help="also prove the log only grew since this signed size")
    parser.add_argument("--leaf-hash", help="the leaf hash you hold (hex): the server must prove this one")
    parser.add_argument("--leaf-body", help="file with the leaf body (canonical JSON) you hold: its hash is proved")
    args = parser.parse_args(argv)

    public_key_pem = None
    if args.public_key:
        with open(args.public_key, encoding="ascii") as handle:
            public_key_pem = handle.read()
    try:
        expected = bytes.fromhex(args.leaf_hash) if args.leaf_hash else None
        if args.leaf_body:
            with open(args.leaf_body, "rb") as handle:
                body = handle.read()
            head = fetch_json(args.server, "/api/v1/ledger/tree-head")
            expected = leaf_hash(head["hash_algorithm"], body)
        audit_leaf(
            server=args.server,
            leaf=args.leaf,
            public_key_pem=public_key_pem,
            since_tree_size=args.since_tree_size,
            expected_leaf_hash=expected,
        )
    except VerificationError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    except (FetchError, KeyError, ValueError) as error:
        print(f"ERROR: {error!r}" if not isinstance(error, FetchError) else f"ERROR: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
