"""What other modules may use of kernel.search (检索).

    from zhengtong.kernel.search.public import Audience, index_document, search

    index_document(kind="service_item", key="330000-XK-001", title="企业营业执照核发",
                   body="…", tags=["营业执照"], visibility="public")
    results = search(query="营业执照", kinds=["service_item"], limit=20, offset=0)
    results.total, [(hit.key, hit.score) for hit in results.hits]

Text is segmented with jieba in search-engine mode, so "营业执照" finds "企业营业执照信息" and
"参保" finds "社会保险参保人员". A module that combines search with its own scoped query and facets
uses `keys_matching()` (for `field__in=`) and `score_of()` (to order by): both stay inside the
caller's database query, so a broad query never drags every key into Python.

Index after the owner's change commits (`transaction.on_commit`); a document's visibility and
department decide who finds it (see Audience), and the owner still checks access to what it shows.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Expression, QuerySet

from . import selectors, services
from .models import Visibility
from .segmentation import query_tokens
from .selectors import Audience, Hit, SearchResults, snippet

__all__ = [
    "Audience",
    "Hit",
    "SearchResults",
    "Visibility",
    "index_document",
    "keys_matching",
    "query_tokens",
    "remove_document",
    "score_of",
    "search",
    "snippet",
]


def index_document(
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    tags: Iterable[str] = (),
    department_id: int | None = None,
    visibility: str = Visibility.STAFF,
    updated_at: datetime | None = None,
) -> None:
    """Add a document to the index, or replace it (same kind and key)."""
    services.document_index(
        kind=kind, key=key, title=title, body=body, tags=tags, department_id=department_id,
        visibility=visibility, updated_at=updated_at,
    )


def remove_document(kind: str, key: str) -> bool:
    """Take a document out of the index; False when it was not there."""
    return services.document_remove(kind=kind, key=key)


def search(
    *,
    query: str,
    kinds: Iterable[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    audience: Audience = Audience(),
) -> SearchResults:
    """Ranked hits for the query (default audience: the public, who see public documents only)."""
    return selectors.document_search(query=query, kinds=kinds, limit=limit, offset=offset, audience=audience)


def keys_matching(*, query: str, kind: str, audience: Audience = Audience()) -> QuerySet:
    """A lazy query of the matching documents' keys, for `Model.objects.filter(code__in=…)`."""
    return selectors.keys_matching(query=query, kind=kind, audience=audience)


def score_of(*, query: str, kind: str, key: Expression) -> Expression:
    """An expression for the score of the document keyed by `key` (an OuterRef), 0 if no match."""
    return selectors.score_of(query=query, kind=kind, key=key)
