"""kernel.search: Chinese segmentation, ranking, visibility, and the query pieces other modules use."""

import subprocess
import sys
from datetime import datetime, timezone

import pytest
from django.db.models import OuterRef

from zhengtong.kernel.search import segmentation
from zhengtong.kernel.search.models import SearchDocument, SearchToken
from zhengtong.kernel.search.public import (
    Audience,
    index_document,
    keys_matching,
    query_tokens,
    remove_document,
    score_of,
    search,
)

pytestmark = pytest.mark.django_db

EVERYONE = Audience.unrestricted()


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 9, 0, tzinfo=timezone.utc)


def hits(results) -> list[tuple[str, int]]:
    return [(hit.key, hit.score) for hit in results.hits]


@pytest.fixture
def documents():
    index_document(kind="dataset", key="A", title="企业营业执照信息", body="市场监管部门登记的企业营业执照。",
                   updated_at=at(1))
    index_document(kind="dataset", key="B", title="社会保险参保人员", body="参保人员的参保状态和缴费基数。",
                   updated_at=at(2))
    index_document(kind="dataset", key="C", title="个体工商户名录", body="个体工商户的营业执照信息摘要。",
                   tags=["市场主体"], updated_at=at(3))
    index_document(kind="service_item", key="S1", title="营业执照核发", body="", visibility="public",
                   updated_at=at(4))


def test_segmentation_is_search_engine_mode():
    assert segmentation.segment("企业营业执照信息") == ["企业", "营业", "执照", "营业执照", "信息"]
    assert segmentation.segment("社会保险参保人员") == ["社会", "保险", "社会保险", "参保", "人员"]
    # Full-width letters fold to half-width lower case; punctuation and function words drop out.
    assert segmentation.segment("ＧＡ的数据，") == ["ga", "数据"]
    assert query_tokens("营业执照") == ["营业", "执照", "营业执照"]
    # A code is looked up whole as well as by its pieces.
    assert query_tokens("330106-GA-00001") == ["330106", "ga", "00001", "330106-ga-00001"]


def test_a_query_finds_documents_by_their_segmented_words(documents):
    results = search(query="营业执照", kinds=["dataset"], audience=EVERYONE)
    # A: 营业, 执照, 营业执照 in the title (4 each) and the text (1 each); C: in the text only.
    assert results.total == 2
    assert hits(results) == [("A", 15), ("C", 3)]
    assert results.hits[0].title == "企业营业执照信息"
    assert results.hits[1].snippet == "个体工商户的营业执照信息摘要。"

    results = search(query="参保", kinds=["dataset"], audience=EVERYONE)
    assert hits(results) == [("B", 5)]
    assert results.hits[0].title == "社会保险参保人员"


def test_title_matches_outrank_text_matches_and_ties_go_to_the_newest(documents):
    index_document(kind="dataset", key="D", title="执照", body="", updated_at=at(5))
    index_document(kind="dataset", key="E", title="执照", body="", updated_at=at(6))
    assert hits(search(query="执照", kinds=["dataset"], audience=EVERYONE)) == [
        ("A", 5), ("E", 4), ("D", 4), ("C", 1),
    ]


def test_tags_count_between_title_and_text(documents):
    # 市场主体 → 市场, 场主, 主体, 市场主体: all four in C's tag (2 each); A's text has 市场 (1).
    assert hits(search(query="市场主体", audience=EVERYONE)) == [("C", 8), ("A", 1)]


def test_kinds_limit_and_offset(documents):
    everything = search(query="营业执照", audience=EVERYONE)
    assert hits(everything) == [("A", 15), ("S1", 12), ("C", 3)]
    page = search(query="营业执照", audience=EVERYONE, limit=1, offset=1)
    assert page.total == 3 and hits(page) == [("S1", 12)]
    assert hits(search(query="营业执照", kinds=["service_item"], audience=EVERYONE)) == [("S1", 12)]
    assert search(query="营业执照", audience=EVERYONE, limit=0).hits == ()


def test_visibility_decides_who_finds_a_document():
    index_document(kind="doc", key="pub", title="公开的目录", visibility="public")
    index_document(kind="doc", key="staff", title="内部的目录", visibility="staff")
    index_document(kind="doc", key="mine", title="草稿的目录", visibility="department", department_id=7)
    index_document(kind="doc", key="theirs", title="别人的目录", visibility="department", department_id=8)

    def keys(audience):
        return sorted(hit.key for hit in search(query="目录", audience=audience).hits)

    assert keys(Audience.public()) == ["pub"]
    assert keys(Audience(staff=True)) == ["pub", "staff"]
    assert keys(Audience(staff=True, department_id=7)) == ["mine", "pub", "staff"]
    assert keys(Audience(staff=True, department_id=7, all_departments=True)) == ["mine", "pub", "staff", "theirs"]


def test_reindexing_replaces_and_removing_deletes(documents):
    index_document(kind="dataset", key="A", title="法人基本信息", body="", updated_at=at(9))
    assert SearchDocument.objects.filter(kind="dataset", key="A").count() == 1
    assert hits(search(query="营业执照", kinds=["dataset"], audience=EVERYONE)) == [("C", 3)]
    assert hits(search(query="法人", kinds=["dataset"], audience=EVERYONE)) == [("A", 4)]

    document_id = SearchDocument.objects.get(kind="dataset", key="A").id
    assert remove_document("dataset", "A") is True
    assert remove_document("dataset", "A") is False
    assert not SearchToken.objects.filter(document_id=document_id).exists()
    assert search(query="法人", audience=EVERYONE).total == 0


def test_a_query_with_no_words_finds_nothing(documents):
    for query in ("", "   ", "，。！", "的"):
        results = search(query=query, audience=EVERYONE)
        assert (results.total, results.hits) == (0, ())


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        index_document(kind="", key="x", title="t")
    with pytest.raises(ValueError):
        index_document(kind="dataset", key="x", title="t", visibility="everyone")
    with pytest.raises(ValueError):
        search(query="x", offset=-1)


def test_keys_and_scores_combine_with_another_modules_query(documents):
    """What the catalog does: filter its own rows by matching keys, order them by score."""
    matching = SearchDocument.objects.filter(key__in=keys_matching(query="营业执照", kind="dataset", audience=EVERYONE))
    ranked = matching.annotate(
        score=score_of(query="营业执照", kind="dataset", key=OuterRef("key"))
    ).order_by("-score", "key")
    assert [(d.key, d.score) for d in ranked] == [("A", 15), ("C", 3)]
    nothing = SearchDocument.objects.filter(key__in=keys_matching(query="，", kind="dataset", audience=EVERYONE))
    assert list(nothing) == []


def test_the_dictionary_loads_lazily_and_once():
    # A fresh process: importing search loads no dictionary; the first segmentation does, once.
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'zhengtong.settings.test'); "
        "django.setup(); "
        "from zhengtong.kernel.search import public, segmentation; "
        "assert not segmentation.is_loaded(); "
        "first = segmentation.tokenizer(); segmentation.segment('营业执照'); "
        "assert segmentation.is_loaded() and segmentation.tokenizer() is first; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
