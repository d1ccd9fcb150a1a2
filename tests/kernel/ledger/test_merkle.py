"""The tree math and the auditor's verifiers, against the RFC text and the RFC 6962 test vectors."""

import pytest

from zhengtong.kernel.ledger import auditor, merkle

from . import rfc9162_reference as ref

# The RFC 6962 (SHA-256) test vectors of Go's certificate-transparency-go / transparency-dev merkle
# (proof/verify_test.go): eight leaves, the root at every size, and known proofs.
GO_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
GO_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, path): the Go table lists leaves 1-based.
GO_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
GO_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


class InMemoryTree:
    """Every perfect subtree hash of a list of leaves, computed with the module's CompactRange."""

    def __init__(self, digest, leaves: list[bytes]):
        self.digest = digest
        self.subtrees: dict[merkle.Subtree, bytes] = {}
        self.edge = merkle.CompactRange.empty(digest)
        for index, leaf in enumerate(leaves):
            value = merkle.leaf_hash(digest, leaf)
            self.subtrees[(0, index)] = value
            for level, node_index, node_value in self.edge.append(value):
                self.subtrees[(level, node_index)] = node_value

    def root(self, size: int) -> bytes:
        if size == 0:
            return self.digest(b"")
        return merkle.fold(self.digest, [self.subtrees[s] for s in merkle.perfect_subtrees(0, size)])

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.hashes_of_ranges(self.digest, merkle.inclusion_ranges(index, size), self.subtrees)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return merkle.hashes_of_ranges(self.digest, merkle.consistency_ranges(first, second), self.subtrees)


def test_go_rfc6962_vectors_roots_and_proofs():
    tree = InMemoryTree(ref.sha256, GO_LEAVES)
    assert [tree.root(size).hex() for size in range(1, 9)] == GO_ROOTS
    assert tree.root(0).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for index, size, expected in GO_INCLUSION:
        assert [h.hex() for h in tree.inclusion(index, size)] == expected
        auditor.verify_inclusion(
            hash_algorithm="sha256",
            leaf_hash=merkle.leaf_hash(ref.sha256, GO_LEAVES[index]),
            leaf_index=index,
            tree_size=size,
            inclusion_path=[bytes.fromhex(h) for h in expected],
            root_hash=bytes.fromhex(GO_ROOTS[size - 1]),
        )
    for first, second, expected in GO_CONSISTENCY:
        assert [h.hex() for h in tree.consistency(first, second)] == expected
        auditor.verify_consistency(
            hash_algorithm="sha256",
            first=first,
            second=second,
            first_hash=bytes.fromhex(GO_ROOTS[first - 1]),
            second_hash=bytes.fromhex(GO_ROOTS[second - 1]),
            consistency_path=[bytes.fromhex(h) for h in expected],
        )


@pytest.mark.parametrize("digest,algorithm", [(ref.sm3, "sm3"), (ref.sha256, "sha256")])
def test_every_proof_up_to_64_leaves_matches_the_rfc_recursion_and_verifies(digest, algorithm):
    leaves = [f"leaf {i}".encode() for i in range(64)]
    tree = InMemoryTree(digest, leaves)
    for size in range(1, 65):
        root = tree.root(size)
        assert root == ref.mth(digest, leaves[:size])
        for index in range(size):
            path = tree.inclusion(index, size)
            assert path == ref.path(digest, index, leaves[:size]), (index, size)
            auditor.verify_inclusion(
                hash_algorithm=algorithm,
                leaf_hash=merkle.leaf_hash(digest, leaves[index]),
                leaf_index=index,
                tree_size=size,
                inclusion_path=path,
                root_hash=root,
            )
        for first in range(1, size + 1):
            path = tree.consistency(first, size)
            assert path == ref.proof(digest, first, leaves[:size]), (first, size)
            auditor.verify_consistency(
                hash_algorithm=algorithm,
                first=first,
                second=size,
                first_hash=tree.root(first),
                second_hash=root,
                consistency_path=path,
            )


def test_compact_range_completes_exactly_the_perfect_subtrees():
    edge = merkle.CompactRange.empty(ref.sm3)
    completed = []
    for index in range(8):
        completed += [(level, node_index) for level, node_index, _ in edge.append(ref.sm3(bytes([index])))]
    assert completed == [(1, 0), (1, 1), (2, 0), (1, 2), (1, 3), (2, 1), (3, 0)]
    assert edge.size == 8 and len(edge.hashes) == 1


def test_extend_gives_what_append_gives_from_any_start_at_any_minimum_level():
    hashes = [ref.sm3(bytes([n])) for n in range(70)]
    for start in (0, 1, 5, 8, 13):
        for count in (1, 2, 7, 8, 30, 57):
            one_by_one = merkle.CompactRange.empty(ref.sm3)
            for value in hashes[:start]:
                one_by_one.append(value)
            batched = merkle.CompactRange(digest=ref.sm3, size=start, hashes=list(one_by_one.hashes))
            appended = [
                (merkle.position(level, index), value)
                for leaf in hashes[start : start + count]
                for level, index, value in one_by_one.append(leaf)
            ]
            for min_level in (1, 3):
                edge = merkle.CompactRange(digest=ref.sm3, size=start, hashes=list(batched.hashes))
                assert sorted(edge.extend(hashes[start : start + count], min_level=min_level)) == sorted(
                    (pos, value) for pos, value in appended if merkle.subtree_of_position(pos)[0] >= min_level
                )
                assert (edge.size, edge.hashes, edge.root()) == (one_by_one.size, one_by_one.hashes, one_by_one.root())


def test_the_stored_subtrees_are_those_of_eight_leaves_and_more():
    assert merkle.STORED_MIN_LEVEL == 3
    for size in range(0, 200):
        stored = [
            (level, index)
            for level in range(1, 9)
            for index in range(size >> level)
            if merkle.is_stored(merkle.position(level, index))
        ]
        assert all(level >= 3 for level, _ in stored)
        assert len(stored) == merkle.stored_count(size) == sum(size >> level for level in range(3, 9))
    leaves = [ref.sm3(b"\x00" + bytes([n])) for n in range(8)]
    assert merkle.perfect_root(ref.sm3, leaves) == ref.mth(ref.sm3, [bytes([n]) for n in range(8)])


def test_positions_are_in_order_and_invertible():
    assert [merkle.position(0, i) for i in range(4)] == [0, 2, 4, 6]
    assert [merkle.position(1, i) for i in range(3)] == [1, 5, 9]
    assert merkle.position(2, 0) == 3 and merkle.position(3, 0) == 7
    for level in range(0, 40, 3):
        for index in (0, 1, 5, 12345):
            assert merkle.subtree_of_position(merkle.position(level, index)) == (level, index)


def test_a_proof_reads_at_most_two_log_n_subtrees():
    size = 1_000_003
    worst = max(
        len(merkle.subtrees_needed(merkle.inclusion_ranges(index, size)))
        for index in (0, 1, size // 2, size - 3, size - 2, size - 1)
    )
    assert worst <= 2 * size.bit_length()
    worst_consistency = max(
        len(merkle.subtrees_needed(merkle.consistency_ranges(first, size))) for first in (1, 3, 777_777, size - 1)
    )
    assert worst_consistency <= 2 * size.bit_length()


def _inclusion_probes(index, size, path, root, leaf_hash):
    """The corruptions Go's verifier tests try; every one must be rejected."""
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, path, root, leaf_hash),
        (index + 1, size, path, root, leaf_hash),
        (index ^ 2, size, path, root, leaf_hash),
        (index, size * 2, path, root, leaf_hash),
        (index, size // 2, path, root, leaf_hash),
        (index, size, path, root, some),
        (index, size, path, some, leaf_hash),
        (index, size, [*path, root], root, leaf_hash),
        (index, size, [root, *path], root, leaf_hash),
        (index, size, [*path, b""], root, leaf_hash),
    ]
    for position in range(len(path)):
        flipped = list(path)
        flipped[position] = bytes([flipped[position][0] ^ 8]) + flipped[position][1:]
        probes.append((index, size, flipped, root, leaf_hash))
    if path:
        probes.append((index, size, path[:-1], root, leaf_hash))
    return probes


def test_corrupted_inclusion_proofs_are_rejected():
    tree = InMemoryTree(ref.sha256, GO_LEAVES)
    for index, size, expected in GO_INCLUSION:
        path = [bytes.fromhex(h) for h in expected]
        leaf_hash = merkle.leaf_hash(ref.sha256, GO_LEAVES[index])
        for probe_index, probe_size, probe_path, probe_root, probe_leaf in _inclusion_probes(
            index, size, path, tree.root(size), leaf_hash
        ):
            with pytest.raises(auditor.VerificationError):
                auditor.verify_inclusion(
                    hash_algorithm="sha256",
                    leaf_hash=probe_leaf,
                    leaf_index=probe_index,
                    tree_size=probe_size,
                    inclusion_path=probe_path,
                    root_hash=probe_root,
                )


def test_corrupted_consistency_proofs_are_rejected():
    tree = InMemoryTree(ref.sha256, GO_LEAVES)
    for first, second, expected in GO_CONSISTENCY:
        if not expected:
            continue
        path = [bytes.fromhex(h) for h in expected]
        root1, root2 = tree.root(first), tree.root(second)
        probes = [
            (first - 1, second, root1, root2, path),
            (first + 1, second, root1, root2, path),
            (first ^ 2, second, root1, root2, path),
            (first, second * 2, root1, root2, path),
            (first, second // 2, root1, root2, path),
            (first, second, root2, root1, path),
            (first, second, root1, root2, []),
            (first, second, root1, root2, [*path, root1]),
            (first, second, root1, root2, [root2, *path]),
            (first, second, root1, root2, [path[0], *path]),
            (first, second, root1, root2, path[:-1]),
        ]
        for position in range(len(path)):
            flipped = list(path)
            flipped[position] = bytes([flipped[position][0] ^ 16]) + flipped[position][1:]
            probes.append((first, second, root1, root2, flipped))
        for probe_first, probe_second, probe_root1, probe_root2, probe_path in probes:
            if probe_first == probe_second and not probe_path and probe_root1 == probe_root2:
                continue  # not a corruption: equal trees need no proof
            with pytest.raises(auditor.VerificationError):
                auditor.verify_consistency(
                    hash_algorithm="sha256",
                    first=probe_first,
                    second=probe_second,
                    first_hash=probe_root1,
                    second_hash=probe_root2,
                    consistency_path=probe_path,
                )


def test_equal_sizes_need_an_empty_proof_and_equal_roots():
    root = ref.sha256(b"\x00")
    auditor.verify_consistency(
        hash_algorithm="sha256", first=3, second=3, first_hash=root, second_hash=root, consistency_path=[]
    )
    with pytest.raises(auditor.VerificationError, match="must be empty"):
        auditor.verify_consistency(
            hash_algorithm="sha256", first=3, second=3, first_hash=root, second_hash=root, consistency_path=[root]
        )
    with pytest.raises(auditor.VerificationError, match="two different roots"):
        auditor.verify_consistency(
            hash_algorithm="sha256",
            first=3,
            second=3,
            first_hash=root,
            second_hash=ref.sha256(b"x"),
            consistency_path=[],
        )
