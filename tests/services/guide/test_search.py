"""Service search: Chinese words find items through kernel.search, only where they are published,
with filters, facets and each result's implementation for the searcher's division."""

import pytest

from tests.services.guide.conftest import catalogue_load
from zhengtong.kernel.org.models import Division
from zhengtong.services.guide.models import ServiceItem
from zhengtong.services.guide.selectors import _chain, _page_results, item_search


@pytest.fixture
def catalogue(departments):
    catalogue_load()


def codes(result) -> list[str]:
    return [r.item.code for r in result.results]


def test_chinese_words_find_the_items_that_name_them(catalogue):
    assert codes(item_search(query="营业执照")) == ["330000-SJ-0001"]
    assert codes(item_search(query="营业执照变更")) == ["330000-SJ-0001"]
    assert codes(item_search(query="失业金")) == ["330000-RS-0001"]  # a keyword
    # The code itself: every code shares "330000", the whole code ranks its item first.
    assert codes(item_search(query="330000-GA-0001"))[0] == "330000-GA-0001"
    assert item_search(query="驾驶证").total == 0


def test_a_title_match_ranks_above_a_match_in_the_text(catalogue):
    # 工伤保险待遇核定 says 保险 in its name; the condition of 失业保险金申领 says it too, but
    # 失业保险金 is one word for jieba, cut into 失业 and 保险 only in search mode; both rank by weight.
    result = item_search(query="工伤保险")
    assert codes(result)[0] == "330000-RS-0003"
    result = item_search(query="出生医学证明")
    # The certificate's own item first; the household registration mentions it in its conditions.
    assert codes(result) == ["330000-WJ-0001", "330000-GA-0001"]


def test_drafts_and_suspended_lists_are_not_found(catalogue):
    # 社会保障卡补办 is a draft; 工伤保险待遇核定 is found by its theme, 社会保障.
    assert codes(item_search(query="社会保障卡")) == ["330000-RS-0003"]
    assert item_search(query="公积金").total == 0
    assert "330000-RS-0002" not in codes(item_search(query=""))


def test_a_division_sees_what_is_published_there_or_above(catalogue):
    # Xihu's township: Xihu's own, Hangzhou's and the province's lists.
    assert codes(item_search(division_code="330106004")) == [
        "330000-GA-0001", "330000-RS-0001", "330000-RS-0003", "330000-SJ-0001"]
    # Binjiang: its own certificate list, Hangzhou's and the province's.
    assert codes(item_search(division_code="330108")) == ["330000-GA-0001", "330000-SJ-0001", "330000-WJ-0001"]
    # Ningbo: only the province's.
    assert codes(item_search(division_code="330203")) == ["330000-SJ-0001"]
    assert item_search(division_code="999999").total == 0
    assert codes(item_search(query="出生医学证明", division_code="330106")) == ["330000-GA-0001"]


def test_each_result_carries_the_implementation_serving_the_division(catalogue):
    (result,) = item_search(query="入户", division_code="330106004").results
    summary = result.implementation
    assert (summary.division_code, summary.division_name, summary.department_name) == (
        "330100", "杭州市", "杭州市公安局")
    assert (summary.promised_days, summary.legal_days, summary.visits, summary.online, summary.mobile,
            summary.instant, summary.free) == (5, 20, 0, True, True, False, True)
    (result,) = item_search(query="营业执照").results
    assert result.implementation.division_code == "330000"


def test_filters_and_facets_count_the_other_filters(catalogue):
    everything = item_search()
    assert everything.total == 5
    facets = {facet.name: facet for facet in everything.facets}
    # Most items first, then by name.
    assert [(v.value, v.count) for v in facets["theme"].values] == [
        ("生育收养", 2), ("就业创业", 1), ("开办企业", 1), ("社会保障", 1)]
    assert [(v.value, v.count) for v in facets["item_type"].values] == [
        ("licensing", 1), ("confirmation", 1), ("benefit", 2), ("public_service", 1)]
    # Who applies: "both" counts for citizens and for companies.
    assert [(v.value, v.count) for v in facets["serving"].values] == [("citizen", 4), ("company", 2)]

    companies = item_search(serving="company")
    assert codes(companies) == ["330000-SJ-0001", "330000-WJ-0001"]
    facets = {facet.name: facet for facet in companies.facets}
    assert [(v.value, v.count, v.selected) for v in facets["serving"].values] == [
        ("citizen", 4, False), ("company", 2, True)]  # the serving facet ignores its own filter
    assert [(v.value, v.count) for v in facets["item_type"].values] == [("licensing", 1), ("public_service", 1)]

    births = item_search(theme="生育收养", serving="citizen")
    assert codes(births) == ["330000-GA-0001", "330000-WJ-0001"]
    assert codes(item_search(item_type="benefit")) == ["330000-RS-0001", "330000-RS-0003"]
    assert codes(item_search(query="保险", item_type="benefit", theme="社会保障")) == ["330000-RS-0003"]


def test_pages_of_twenty(departments):
    many = {f"330000-RS-{n:04d}": (f"技能培训补贴申领{n}", "human_resources", "citizen", "benefit", "就业创业", [],
                                   [("330106", "330106-RS", "published")], "") for n in range(25)}
    catalogue_load(many)
    first = item_search(query="培训补贴")
    assert (first.total, first.page, first.pages, len(first.results), first.start_index, first.end_index) == (
        25, 1, 2, 20, 1, 20)
    second = item_search(query="培训补贴", page=2)
    assert (second.page, len(second.results), second.start_index, second.end_index) == (2, 5, 21, 25)
    assert set(codes(first)).isdisjoint(codes(second))
    assert item_search(query="培训补贴", page=99).page == 2  # past the end: the last page


def test_the_number_of_queries_does_not_grow_with_the_matches(departments, django_assert_max_num_queries):
    many = {f"330000-RS-{n:04d}": (f"技能培训补贴申领{n}", "human_resources", "citizen", "benefit", "就业创业", [],
                                   [("330106", "330106-RS", "published"), ("330000", "330000-RS", "published")], "")
            for n in range(30)}
    catalogue_load(many)
    item_search(query="培训补贴", division_code="330106")  # jieba loaded
    # The division's ancestors, the match with its facet columns, the page with its implementations.
    with django_assert_max_num_queries(3):
        result = item_search(query="培训补贴", division_code="330106", serving="citizen")
    assert result.total == 30 and all(r.implementation.division_code == "330106" for r in result.results)


def test_a_page_item_unpublished_since_the_match_shows_without_its_implementation(catalogue):
    # A search reads the match, then the page's items with their implementations: an item whose
    # list was withdrawn in between (here: one that only has a draft) is shown without one, and
    # an item deleted in between is left out rather than failing the page.
    draft = ServiceItem.objects.get(code="330000-RS-0002")
    published = ServiceItem.objects.get(code="330000-SJ-0001")
    results = _page_results([draft.id, published.id, 0], _chain("330106"))
    assert [(r.item.code, r.item.name, r.implementation) for r in results[:1]] == [
        ("330000-RS-0002", "社会保障卡补办", None)]
    assert [(r.item.code, r.implementation.division_code) for r in results[1:]] == [("330000-SJ-0001", "330000")]


def test_the_chain_of_a_division_deeper_than_a_township(catalogue):
    # divisions_load takes GB/T 2260's four levels only; the table itself has no such limit, and
    # the chain follows parents to any depth (four levels a query).
    township = Division.objects.get(code="330106004")
    village = Division.objects.create(code="330106004001", name="某村", level="township", parent=township)
    Division.objects.create(code="330106004901", name="某组", level="township", parent=village)
    assert [code for _id, code in _chain("330106004901")] == [
        "330106004901", "330106004001", "330106004", "330106", "330100", "330000"]
    assert [code for _id, code in _chain("330106004")] == ["330106004", "330106", "330100", "330000"]
    assert _chain("999999") == [] and _chain(None) == []
    # Served there by what is published at the township or above.
    assert codes(item_search(division_code="330106004901")) == codes(item_search(division_code="330106004"))
