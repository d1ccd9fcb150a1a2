"""Writes to the search index: one document's tokens replaced in one transaction."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import SearchDocument, SearchToken, Visibility
from .segmentation import segment, tag_tokens

# Where a token occurs decides how much a match on it counts: a title match most.
TITLE_WEIGHT = 4
TAG_WEIGHT = 2
BODY_WEIGHT = 1

MAX_KIND_LENGTH = 32
MAX_KEY_LENGTH = 128
MAX_TITLE_LENGTH = 300


def _weights(*, title: str, body: str, tags: Iterable[str]) -> dict[str, int]:
    weights: dict[str, int] = {}
    for token in segment(title):
        weights[token] = weights.get(token, 0) + TITLE_WEIGHT
    tag_set: set[str] = set()
    for tag in tags:
        tag_set.update(tag_tokens(tag))
    for token in tag_set:
        weights[token] = weights.get(token, 0) + TAG_WEIGHT
    for token in segment(body):
        weights[token] = weights.get(token, 0) + BODY_WEIGHT
    return weights


def document_index(
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    tags: Iterable[str] = (),
    department_id: int | None = None,
    visibility: str = Visibility.STAFF,
    updated_at: datetime | None = None,
) -> SearchDocument:
    if not kind or len(kind) > MAX_KIND_LENGTH or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"a document needs a kind of at most {MAX_KIND_LENGTH} and a key of at most "
                         f"{MAX_KEY_LENGTH} characters, not {kind!r} and {key!r}")
    if visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}; one of {', '.join(Visibility.values)}")
    tags = [str(tag) for tag in tags if str(tag).strip()]
    # Segment before taking any lock: jieba is the slow part.
    weights = _weights(title=title, body=body, tags=tags)
    with transaction.atomic():
        document, _ = SearchDocument.objects.update_or_create(
            kind=kind,
            key=key,
            defaults={
                "title": title[:MAX_TITLE_LENGTH],
                "body": body,
                "tags": tags,
                "department_id": department_id,
                "visibility": visibility,
                "updated_at": updated_at or timezone.now(),
            },
        )
        SearchToken.objects.filter(document=document).delete()
        SearchToken.objects.bulk_create(
            [SearchToken(document=document, token=token, weight=weight) for token, weight in weights.items()],
            batch_size=500,
        )
    return document


def document_remove(*, kind: str, key: str) -> bool:
    """Remove a document from the index; False when it was not there."""
    deleted, _ = SearchDocument.objects.filter(kind=kind, key=key).delete()
    return deleted > 0
