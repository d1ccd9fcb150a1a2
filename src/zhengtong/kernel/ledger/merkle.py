"""The tree math of RFC 9162 §2.1, over stored perfect subtrees (no Django import).

A Merkle Tree Hash (MTH) over n leaves splits at k, the largest power of two below n. Every range
that the RFC's recursions (MTH, PATH, SUBPROOF) ever ask about is "aligned": it starts at a multiple
of the largest power of two that fits in it. Such a range is a run of *perfect* subtrees, one per set
bit of its length, and its MTH is the right fold of their hashes:

    MTH(D[s:e]) = HASH(0x01 || P1 || HASH(0x01 || P2 || ... Pj))

A perfect subtree never changes once its last leaf is in, so the log stores the hash of each one of
level >= STORED_MIN_LEVEL (3: eight leaves and more), and the row of each level-3 subtree (a "block")
also carries the 8 leaf hashes under it. A smaller subtree is hashed from those leaves when a proof
needs it, so any proof is assembled from at most about 2·log2(n) stored rows, fetched in one round
trip (the leaves of the log's newest, incomplete block come from their own rows). Storing levels 1
and 2 as rows of their own would mean three node rows for every four leaves instead of one for
every four: the largest write of the sequencer, to save hashing at most 7 node hashes per proof.

Perfect subtrees are named (level, index): the one covering leaves [index·2^level, (index+1)·2^level).
In storage they are keyed by a single integer, their in-order position in the full binary tree
(leaves even, the node above 2i and 2i+2 at 2i+1), so a set of them is one `position IN (...)` query.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
DIGEST_SIZE = 32  # SM3 and SHA-256 alike
STORED_MIN_LEVEL = 3

Subtree = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end) leaf indices


def leaf_hash(digest: Callable[[bytes], bytes], leaf: bytes) -> bytes:
    return digest(LEAF_PREFIX + leaf)


def node_hash(digest: Callable[[bytes], bytes], left: bytes, right: bytes) -> bytes:
    return digest(NODE_PREFIX + left + right)


def split_point(size: int) -> int:
    """k of RFC 9162: the largest power of two smaller than size (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def position(level: int, index: int) -> int:
    """In-order position of the perfect subtree (level, index) in the full binary tree."""
    return (index << (level + 1)) + (1 << level) - 1


def subtree_of_position(pos: int) -> Subtree:
    level = ((pos + 1) & -(pos + 1)).bit_length() - 1  # trailing ones of pos
    return level, pos >> (level + 1)


def perfect_subtrees(start: int, end: int) -> list[Subtree]:
    """The perfect subtrees making up the aligned range [start, end), left to right (biggest first)."""
    subtrees = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a range of RFC 9162's recursion")
        subtrees.append((level, start >> level))
        start += 1 << level
    return subtrees


def is_stored(pos: int) -> bool:
    """Whether the subtree at this position is one the log stores (level >= STORED_MIN_LEVEL)."""
    return (pos + 1) & ((1 << STORED_MIN_LEVEL) - 1) == 0


def stored_count(size: int) -> int:
    """How many stored subtrees a tree of `size` leaves has."""
    return sum(size >> level for level in range(STORED_MIN_LEVEL, size.bit_length()))


def perfect_root(digest: Callable[[bytes], bytes], leaf_hashes: list[bytes]) -> bytes:
    """MTH of a perfect subtree (a power-of-two count of leaves) from its leaf hashes."""
    hashes = leaf_hashes
    while len(hashes) > 1:
        hashes = [node_hash(digest, hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def fold(digest: Callable[[bytes], bytes], hashes: list[bytes]) -> bytes:
    """MTH of a range from the hashes of its perfect subtrees (left to right): fold from the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(digest, left, result)
    return result


def inclusion_ranges(leaf_index: int, tree_size: int) -> list[Range]:
    """The ranges whose MTHs make PATH(m, D[n]) of RFC 9162 §2.1.3.1, in the RFC's order.

    PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])  when m < k
                  = PATH(m - k, D[k:n]) : MTH(D[0:k])  otherwise
    The recursion is unrolled top-down, so the siblings come out top first and are reversed.
    """
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf {leaf_index} is not in a tree of size {tree_size}")
    ranges = []
    start, end = 0, tree_size
    while end - start > 1:
        k = split_point(end - start)
        if leaf_index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose MTHs make PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1.

    SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
    SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])  when m <= k
                         = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  otherwise
    """
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} (need 0 < first <= second)")
    ranges = []
    start, end, whole = 0, second, True
    while first != end:
        k = split_point(end - start)
        if first - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def subtrees_needed(ranges: Iterable[Range]) -> list[Subtree]:
    """Every perfect subtree the ranges are made of, each once."""
    seen: dict[Subtree, None] = {}
    for start, end in ranges:
        for subtree in perfect_subtrees(start, end):
            seen.setdefault(subtree)
    return list(seen)


def hashes_of_ranges(
    digest: Callable[[bytes], bytes], ranges: list[Range], subtree_hashes: Mapping[Subtree, bytes]
) -> list[bytes]:
    """MTH of each range, given the hashes of the perfect subtrees they are made of."""
    return [fold(digest, [subtree_hashes[s] for s in perfect_subtrees(start, end)]) for start, end in ranges]


@dataclass
class CompactRange:
    """The right edge of a growing tree: the perfect subtrees of [0, size), biggest first.

    Appending a leaf pushes it and merges equal-sized neighbours, like binary addition; every merge
    completes a perfect subtree, which `append` returns so the caller can store it. Memory and work
    per leaf are O(log n) at most and O(1) on average.
    """

    digest: Callable[[bytes], bytes]
    size: int
    hashes: list[bytes]  # one per set bit of size, biggest subtree first

    @classmethod
    def empty(cls, digest: Callable[[bytes], bytes]) -> "CompactRange":
        return cls(digest=digest, size=0, hashes=[])

    def append(self, leaf_hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the (level, index, hash) of each perfect subtree it completes."""
        completed = []
        self.hashes.append(leaf_hash_)
        index = self.size
        level = 0
        # Each trailing 1-bit of the old size is a same-sized subtree to the left: merge with it.
        while (self.size >> level) & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            level += 1
            index >>= 1
            merged = node_hash(self.digest, left, right)
            self.hashes.append(merged)
            completed.append((level, index, merged))
        self.size += 1
        return completed

    def extend(self, leaf_hashes: list[bytes], min_level: int = 1) -> list[tuple[int, bytes]]:
        """Add many leaf hashes; return (position, hash) of every perfect subtree of level >=
        min_level (>= 1) they complete. Same result as `append` one by one, computed a level at a
        time: the sequencer's hot loop, where per-leaf Python overhead is what counts.
        """
        if not leaf_hashes:
            return []
        digest = self.digest
        size = self.size
        new_size = size + len(leaf_hashes)
        edge = dict(zip((level for level in reversed(range(size.bit_length())) if size >> level & 1), self.hashes))
        new_edge: dict[int, bytes] = {}
        completed: list[tuple[int, bytes]] = []
        run, first, level = list(leaf_hashes), size, 0
        # Invariant: run holds the level-`level` subtrees [first, new_size >> level) that are new.
        while run:
            if first & 1:  # its left sibling is already complete: the old edge's subtree at this level
                run.insert(0, edge.pop(level))
                first -= 1
            if len(run) & 1:  # the last one has no right sibling yet: it stays on the edge
                new_edge[level] = run[-1]
            parents = [digest(NODE_PREFIX + run[i] + run[i + 1]) for i in range(0, len(run) - 1, 2)]
            first >>= 1
            level += 1
            if level >= min_level:
                step, offset = 1 << (level + 1), (1 << level) - 1
                completed.extend(((first + i) * step + offset, value) for i, value in enumerate(parents))
            run = parents
        new_edge.update(edge)  # the old edge above where the new leaves reached stays as it was
        self.hashes = [new_edge[level] for level in sorted(new_edge, reverse=True)]
        self.size = new_size
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return self.digest(b"")  # RFC 9162: MTH({}) = HASH()
        return fold(self.digest, self.hashes)
