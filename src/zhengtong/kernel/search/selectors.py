"""Reads of the search index: ranked hits, and query pieces other modules combine with their own."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Expression, IntegerField, Max, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import SearchDocument, SearchToken, Visibility
from .segmentation import normalise, query_tokens

SNIPPET_BEFORE = 20
SNIPPET_LENGTH = 80


@dataclass(frozen=True)
class Audience:
    """Who is searching, as far as search can tell: the visibilities they may see.

    Anyone sees public documents; staff also see staff documents; a department's staff also see
    their department's own documents, and `all_departments` sees every department's.
    """

    staff: bool = False
    department_id: int | None = None
    all_departments: bool = False
    # Further departments whose documents the searcher sees (e.g. a city's big-data bureau sees
    # the drafts of the city's departments).
    department_ids: frozenset[int] = frozenset()

    @classmethod
    def public(cls) -> "Audience":
        return cls()

    @classmethod
    def unrestricted(cls) -> "Audience":
        return cls(staff=True, all_departments=True)


def _audience_q(audience: Audience, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if audience.staff:
        q |= Q(**{f"{prefix}visibility": Visibility.STAFF})
    if audience.all_departments:
        q |= Q(**{f"{prefix}visibility": Visibility.DEPARTMENT})
    else:
        departments = set(audience.department_ids) | ({audience.department_id} - {None})
        if departments:
            q |= Q(**{f"{prefix}visibility": Visibility.DEPARTMENT, f"{prefix}department_id__in": sorted(departments)})
    return q


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    title: str
    score: int
    snippet: str


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: tuple[Hit, ...]
    tokens: tuple[str, ...] = ()


def snippet(text: str, tokens: Iterable[str]) -> str:
    """A short excerpt of `text` around its first match of the longest matching token."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    folded = normalise(text)
    start = -1
    # NFKC may change lengths (rare: ligatures, some full-width forms); fall back to the start then.
    if len(folded) == len(text):
        for token in sorted(tokens, key=len, reverse=True):
            start = folded.find(token)
            if start >= 0:
                break
    begin = max(0, start - SNIPPET_BEFORE) if start >= 0 else 0
    excerpt = text[begin : begin + SNIPPET_LENGTH]
    return ("…" if begin > 0 else "") + excerpt + ("…" if begin + SNIPPET_LENGTH < len(text) else "")


def document_search(
    *,
    query: str,
    kinds: Iterable[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    audience: Audience = Audience(),
) -> SearchResults:
    """Documents matching any token of the query, best first: the score is the sum of the matched
    tokens' weights (a title match counts 4, a tag 2, the text 1); ties go to the newest."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    tokens = query_tokens(query)
    if not tokens:
        return SearchResults(total=0, hits=(), tokens=())
    matches = SearchToken.objects.filter(token__in=tokens).filter(_audience_q(audience, "document__"))
    kinds = list(kinds) if kinds is not None else None
    if kinds is not None:
        matches = matches.filter(document__kind__in=kinds)
    ranked = (
        matches.values("document_id")
        .annotate(score=Sum("weight"), updated=Max("document__updated_at"))
        .order_by("-score", "-updated", "-document_id")
    )
    total = ranked.count()
    rows = list(ranked[offset : offset + limit]) if limit else []
    documents = SearchDocument.objects.in_bulk([row["document_id"] for row in rows])
    hits = tuple(
        Hit(
            kind=documents[row["document_id"]].kind,
            key=documents[row["document_id"]].key,
            title=documents[row["document_id"]].title,
            score=row["score"],
            snippet=snippet(documents[row["document_id"]].body, tokens),
        )
        for row in rows
    )
    return SearchResults(total=total, hits=hits, tokens=tuple(tokens))


def keys_matching(*, query: str, kind: str, audience: Audience = Audience()) -> QuerySet:
    """The keys of the documents of `kind` matching `query`, as a lazy query for `field__in=`."""
    tokens = query_tokens(query)
    if not tokens:
        return SearchDocument.objects.none().values("key")
    return (
        SearchDocument.objects.filter(kind=kind)
        .filter(_audience_q(audience))
        .filter(tokens__token__in=tokens)
        .values("key")
    )


def score_of(*, query: str, kind: str, key: Expression) -> Expression:
    """The score of the `kind` document whose key is `key` (e.g. OuterRef("resource_code")), 0
    when it does not match: to order the caller's own rows by relevance."""
    tokens = query_tokens(query)
    if not tokens:
        return Value(0, output_field=IntegerField())
    scores = (
        SearchToken.objects.filter(document__kind=kind, document__key=key, token__in=tokens)
        .order_by()
        .values("document_id")
        .annotate(score=Sum("weight"))
        .values("score")[:1]
    )
    return Coalesce(Subquery(scores, output_field=IntegerField()), Value(0))
