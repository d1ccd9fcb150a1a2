"""`zhengtong ledger verify`: recompute the whole log from its leaf bodies and compare with what is stored.

One pass over the leaves in index order, in O(log n) memory:

- each body is re-hashed and compared with the stored leaf hash (an edited body or hash), checked
  to be canonical JSON, and its id, kind, subject, actor and time compared with the columns;
- indexes must run 0, 1, 2… with no gap (a deleted leaf) up to the recorded size and no further
  (an inserted leaf), and every leaf must be either in a sequenced range or in a queued append;
- the tree is rebuilt from the re-hashed bodies and every perfect subtree it completes is compared
  with the stored node (an edited node; and an edited, inserted, deleted or reordered leaf changes
  the nodes above it); stored nodes the tree does not have are counted;
- every signed tree head is checked against the rebuilt root at its size and its signature against
  the ledger's key (an edited tree head; a tree head beyond the last leaf means a truncated log).

The log may keep growing while this runs: leaves and tree heads beyond the size read at the start
are judged against the size read at the end.
"""

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import Signature, verify_signature

from . import auditor, merkle, storage
from .canonical_json import CanonicalJsonError, canonical_json
from .errors import _render_lazy
from .models import APPEND_SHIFT, DIGEST_SIZE, MAX_APPEND, LedgerLeaf, LedgerNode, LedgerPending, LedgerRange, SignedTreeHead
from .services import LEAF_BODY_VERSION, leaf_body

PAGE = 5000
NODE_CHECK_CHUNK = 900  # positions per IN (...) query, under every backend's parameter limit
MAX_LISTED_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    code: str
    message: str | Promise
    params: dict[str, Any]

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class VerificationReport:
    hash_algorithm: str = ""
    leaves: int = 0
    pending: int = 0
    nodes: int = 0
    tree_heads: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, code: str, template: str | Promise, **params: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(Problem(code=code, message=_render_lazy(template, params), params=params))

    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]


LEAF_FIELDS = ("public_id", "kind", "subject", "actor", "created_at", "body", "leaf_hash")


def _range_pages(ranges) -> Iterator[tuple[int, int, int]]:
    """(first_index, first_leaf_id, leaf_count) of the given LedgerRange query, in index order."""
    after = -1
    while True:
        page = list(
            ranges.filter(first_index__gt=after)
            .order_by("first_index")
            .values_list("first_index", "first_leaf_id", "leaf_count")[:PAGE]
        )
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1][0]


def _leaves_by_id(first_leaf_id: int, count: int, *extra: str) -> Iterator[tuple]:
    """(id, *LEAF_FIELDS, *extra) of the leaves with ids first_leaf_id … first_leaf_id + count - 1 that exist."""
    after, end = first_leaf_id - 1, first_leaf_id + count
    while True:
        page = list(
            LedgerLeaf.objects.filter(id__gt=after, id__lt=end).order_by("id").values_list("id", *LEAF_FIELDS, *extra)[:PAGE]
        )
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1][0]


def _leaf_pages(start_size: int) -> Iterator[tuple]:
    """(index, *LEAF_FIELDS) of the sequenced leaves below start_size, in index order. An index whose
    leaf row is gone is not listed, which the caller sees as a gap."""
    for first_index, first_leaf_id, count in _range_pages(LedgerRange.objects.filter(first_index__lt=start_size)):
        for leaf_id, *fields in _leaves_by_id(first_leaf_id, min(count, start_size - first_index)):
            yield (first_index + leaf_id - first_leaf_id, *fields)


def _head_pages(max_size: int) -> Iterator[SignedTreeHead]:
    after = -1
    while True:
        page = list(SignedTreeHead.objects.filter(tree_size__gt=after, tree_size__lte=max_size).order_by("tree_size")[:PAGE])
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].tree_size


def _check_body(report: VerificationReport, row: tuple, digest: Callable[[bytes], bytes], pending: bool) -> bytes:
    """Check one leaf's body against its columns; return the leaf hash its body gives."""
    index, public_id, kind, subject, actor, created_at, body, stored_hash = row
    where = {"leaf_index": index, "leaf_id": public_id}
    recomputed = digest(b"\x00" + body.encode("utf-8"))
    if recomputed != bytes(stored_hash):
        if pending:
            report.add(
                "pending.hash_mismatch",
                _("Pending entry %(leaf_id)s: its body does not hash to its stored leaf hash (body or hash edited)"),
                **where,
            )
        else:
            report.add(
                "leaf.hash_mismatch",
                _("Leaf %(leaf_index)s (%(leaf_id)s): its body does not hash to its stored leaf hash (body or hash edited)"),
                **where,
            )
    try:
        parsed = json.loads(body)
        canonical = canonical_json(parsed) == body
    except (ValueError, CanonicalJsonError):
        parsed, canonical = None, False
    expected = None
    if isinstance(parsed, dict) and isinstance(parsed.get("payload"), dict):
        try:
            expected = leaf_body(
                leaf_id=public_id, kind=kind, subject=subject, actor=actor, created_at=created_at, payload=parsed["payload"]
            )
        except CanonicalJsonError:
            expected = None
    if not canonical or not isinstance(parsed, dict) or parsed.get("version") != LEAF_BODY_VERSION:
        report.add(
            "leaf.not_canonical",
            _("Leaf %(leaf_index)s (%(leaf_id)s): its body is not a canonical JSON leaf body"),
            **where,
        )
    elif expected != body:
        fields = [
            name
            for name, value in (
                ("id", str(public_id)),
                ("kind", kind),
                ("subject", subject),
                ("actor", actor),
            )
            if parsed.get(name) != value
        ] or ["created_at"]
        report.add(
            "leaf.column_mismatch",
            _("Leaf %(leaf_index)s (%(leaf_id)s): the %(columns)s column does not match its body"),
            columns=", ".join(fields),
            **where,
        )
    return recomputed


class _NodeChecker:
    """Compares the nodes the rebuilt tree completes with the stored ones, a chunk at a time."""

    def __init__(self, report: VerificationReport):
        self.report = report
        self.expected: dict[int, tuple[bytes, bytes | None]] = {}
        self.checked = 0

    def add(self, level: int, index: int, value: bytes, leaves: bytes | None = None) -> None:
        """A subtree the rebuilt tree completed; for a stored level-3 one, the 8 leaf hashes under it."""
        if level < merkle.STORED_MIN_LEVEL:
            return  # not stored (hashed from the leaves when a proof needs it)
        self.expected[merkle.position(level, index)] = (value, leaves)
        if len(self.expected) >= NODE_CHECK_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.expected:
            return
        stored = {
            pos: (bytes(value), None if leaves is None else bytes(leaves))
            for pos, value, leaves in LedgerNode.objects.filter(position__in=list(self.expected)).values_list(
                "position", "hash", "leaves"
            )
        }
        for pos, value in sorted(self.expected.items()):
            level, index = merkle.subtree_of_position(pos)
            if pos not in stored:
                self.report.add(
                    "node.missing",
                    _("Stored node (level %(level)s, index %(index)s) is missing"),
                    level=level,
                    index=index,
                )
            elif stored[pos] != value:
                self.report.add(
                    "node.mismatch",
                    _(
                        "Stored node (level %(level)s, index %(index)s) does not match the leaves under it "
                        "(node edited, or leaves edited, inserted, deleted or reordered)"
                    ),
                    level=level,
                    index=index,
                )
        self.checked += len(self.expected)
        self.expected.clear()


def _check_head(
    report: VerificationReport, head: SignedTreeHead, root: bytes, algorithm: str, previous: SignedTreeHead | None
) -> None:
    where = {"tree_size": head.tree_size}
    if head.hash_algorithm != algorithm:
        report.add(
            "head.algorithm",
            _("Tree head %(tree_size)s names the hash algorithm %(algorithm)s; the log uses %(log_algorithm)s"),
            algorithm=head.hash_algorithm,
            log_algorithm=algorithm,
            **where,
        )
    if bytes(head.root_hash) != root:
        report.add(
            "head.root_mismatch",
            _("Tree head %(tree_size)s: its root does not match the leaves (leaves or tree head edited)"),
            **where,
        )
    signed = auditor.tree_head_signed_bytes(
        tree_size=head.tree_size,
        root_hash=bytes(head.root_hash),
        timestamp=head.timestamp_ms,
        hash_algorithm=head.hash_algorithm,
    )
    signature = Signature(algorithm=head.signature_algorithm, key_id=head.key_id, value=bytes(head.signature))
    if not verify_signature(signed, signature):
        report.add(
            "head.signature",
            _("Tree head %(tree_size)s: its signature does not verify with key %(key_id)s (tree head edited)"),
            key_id=head.key_id,
            **where,
        )
    if previous is not None and head.timestamp_ms < previous.timestamp_ms:
        report.add(
            "head.timestamp",
            _("Tree head %(tree_size)s is timestamped before the smaller tree head %(previous)s"),
            previous=previous.tree_size,
            **where,
        )


def _check_pending(report: VerificationReport) -> None:
    """The leaves of every queued append: present, hashing to their stored hash (which is also the
    one queued for the tree), and not yet in the log."""
    for append_id, leaf_count, sequenced, packed in LedgerPending.objects.order_by("id").values_list(
        "id", "leaf_count", "sequenced", "leaf_hashes"
    ).iterator(chunk_size=100):
        first = (append_id << APPEND_SHIFT) + sequenced
        packed = bytes(packed)
        found = mismatched = 0
        for leaf_id, *row, leaf_algorithm in _leaves_by_id(first, leaf_count - sequenced, "hash_algorithm"):
            # A pending leaf carries the algorithm it was hashed with; the sequencer rehashes it if
            # that is not the log's.
            _check_body(report, (None, *row), storage.digest_function(leaf_algorithm), pending=True)
            position = leaf_id - (append_id << APPEND_SHIFT)
            if packed[position * DIGEST_SIZE : (position + 1) * DIGEST_SIZE] != bytes(row[-1]):
                mismatched += 1
            found += 1
        report.pending += found
        if found < leaf_count - sequenced:
            report.add(
                "pending.missing",
                _("Queued append %(append)s names %(count)s entries that do not exist (deleted?)"),
                append=append_id,
                count=leaf_count - sequenced - found,
            )
        if mismatched or len(packed) != leaf_count * DIGEST_SIZE:
            report.add(
                "pending.queue_mismatch",
                _("Queued append %(append)s holds hashes that are not its entries' (queue edited)"),
                append=append_id,
                count=mismatched,
            )
        if found and storage.leaf_index_of(first) is not None:
            report.add(
                "pending.already_sequenced",
                _("Queued append %(append)s holds entries that are already in the log"),
                append=append_id,
            )


def _check_every_leaf_accounted_for(report: VerificationReport) -> None:
    """Every leaf is in a range or in a queued append: one statement, so a sequencer committing
    meanwhile (which moves an append from the queue to a range in one transaction) is seen either
    before or after, never halfway. Each leaf costs one step down two primary keys."""
    quote = connection.ops.quote_name
    leaf, ranges, pending = (
        quote(model._meta.db_table) for model in (LedgerLeaf, LedgerRange, LedgerPending)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.id FROM {leaf} l WHERE NOT EXISTS ("
            f"  SELECT 1 FROM {pending} p WHERE p.id = l.id / %s"
            f"  AND l.id >= p.id * %s + p.sequenced AND l.id < p.id * %s + p.leaf_count"
            f") AND COALESCE(("
            f"  SELECT r.first_leaf_id + r.leaf_count FROM {ranges} r WHERE r.first_leaf_id <= l.id"
            f"  ORDER BY r.first_leaf_id DESC LIMIT 1"
            f"), 0) <= l.id ORDER BY l.id LIMIT %s",
            [MAX_APPEND, MAX_APPEND, MAX_APPEND, MAX_LISTED_PROBLEMS],
        )
        lost = [row[0] for row in cursor.fetchall()]
    public_ids = dict(LedgerLeaf.objects.filter(id__in=lost).values_list("id", "public_id"))
    for leaf_id in lost:
        report.add(
            "leaf.unsequenced",
            _("Entry %(leaf_id)s is neither in the log nor queued to be sequenced (inserted?)"),
            leaf_id=public_ids.get(leaf_id),
        )


def ledger_verify(*, progress: Callable[[int], None] | None = None) -> VerificationReport:
    """Check everything stored against everything else; the report lists each problem found."""
    state = storage.state_get()
    start_size = state.tree_size if state else 0
    algorithm = storage.log_hash_algorithm(state)
    digest = storage.digest_function(algorithm)
    report = VerificationReport(hash_algorithm=algorithm)
    nodes = _NodeChecker(report)
    edge = merkle.CompactRange.empty(digest)
    heads = _head_pages(start_size)
    head = next(heads, None)
    previous_head = None
    gap = False

    def check_heads_at(size: int) -> None:
        nonlocal head, previous_head
        while head is not None and head.tree_size == size:
            _check_head(report, head, edge.root(), algorithm, previous_head)
            report.tree_heads += 1
            previous_head, head = head, next(heads, None)

    check_heads_at(0)
    block: deque[bytes] = deque(maxlen=1 << merkle.STORED_MIN_LEVEL)  # the last 8 leaf hashes
    expected_index = 0
    for row in _leaf_pages(start_size):
        index = row[0]
        if index < expected_index:
            report.add(
                "leaf.index_repeated",
                _("Leaf index %(leaf_index)s is given to more than one entry; nodes and tree heads after it are not checked"),
                leaf_index=index,
            )
            gap = True
            continue
        if index != expected_index:
            report.add(
                "leaf.gap",
                _("Leaves %(first)s to %(last)s are missing (deleted?); nodes and tree heads after them are not checked"),
                first=expected_index,
                last=index - 1,
            )
            gap = True
        expected_index = index + 1
        leaf_hash_ = _check_body(report, row, digest, pending=False)
        report.leaves += 1
        if not gap:
            block.append(leaf_hash_)
            for level, node_index, value in edge.append(leaf_hash_):
                nodes.add(level, node_index, value, b"".join(block) if level == merkle.STORED_MIN_LEVEL else None)
            check_heads_at(edge.size)
        if progress and report.leaves % PAGE == 0:
            progress(report.leaves)
    nodes.flush()
    report.nodes = nodes.checked

    # Stored nodes are counted before the state is read: the sequencer writes nodes and size in one
    # transaction, so a healthy log never has more nodes than its size at any later moment implies.
    stored_nodes = LedgerNode.objects.count()
    # What lies beyond the starting size is judged by the state at the end (the log may have grown).
    end_state = storage.state_get()
    end_size = end_state.tree_size if end_state else 0
    if not gap:
        if expected_index < start_size:
            report.add(
                "log.truncated",
                _("The log records %(size)s leaves but holds only %(count)s (truncated, or leaves deleted)"),
                size=start_size,
                count=expected_index,
            )
        # Tree heads of sizes the leaves never reached.
        stale_heads = [head, *heads] if head is not None else []
        expected_nodes = merkle.stored_count(end_size)
        if stored_nodes > expected_nodes:
            report.add(
                "node.extra",
                _("%(count)s stored nodes belong to no subtree of the log (inserted?)"),
                count=stored_nodes - expected_nodes,
            )
    else:
        stale_heads = []
    stale_heads += list(SignedTreeHead.objects.filter(tree_size__gt=max(start_size, end_size)).order_by("tree_size"))
    for stale in stale_heads:
        report.add(
            "head.beyond_log",
            _("Tree head %(tree_size)s is beyond the log's %(size)s leaves (log truncated)"),
            tree_size=stale.tree_size,
            size=expected_index,
        )
    beyond = (
        LedgerRange.objects.annotate(end_index=F("first_index") + F("leaf_count"))
        .filter(end_index__gt=end_size)
        .order_by("first_index")
        .values_list("first_index", "leaf_count")
    )
    listed = 0
    for first_index, count in beyond[:MAX_LISTED_PROBLEMS]:
        for index in range(max(first_index, end_size), first_index + count):
            if listed == MAX_LISTED_PROBLEMS:
                break
            report.add(
                "leaf.beyond_size",
                _("Leaf %(leaf_index)s lies beyond the log's recorded size %(size)s (inserted?)"),
                leaf_index=index,
                size=end_size,
            )
            listed += 1
    _check_pending(report)
    _check_every_leaf_accounted_for(report)
    return report
