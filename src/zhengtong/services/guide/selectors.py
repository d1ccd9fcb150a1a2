"""Reads of the guide: the catalogue and implementation lists are public once published."""

from dataclasses import dataclass
from operator import itemgetter
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.models import Citizen, Company
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Division
from zhengtong.kernel.search.public import keys_matching, query_tokens

from .forms import FormField
from .indexing import SEARCH_KIND
from .models import (
    FinderQuestion,
    ImplementationStatus,
    ItemImplementation,
    ItemType,
    Material,
    ServiceItem,
    ServingSubject,
)
from .permissions import Editor, implementation_editor_check
from .refs import ImplementationRef, ItemRef, MaterialRef


def item_ref(item: ServiceItem) -> ItemRef:
    return ItemRef(
        id=item.id,
        public_id=item.public_id,
        code=item.code,
        name=item.name,
        item_type=item.item_type,
        serving=item.serving,
        basis=item.basis,
        theme=item.theme,
    )


def material_ref(material: Material) -> MaterialRef:
    return MaterialRef(
        id=material.id,
        code=material.code,
        name=material.name,
        copies=material.copies,
        required=material.required,
        source=material.source,
        source_ref=material.source_ref,
        accepted_types=tuple(material.accepted_types or ()),
        max_bytes=material.max_bytes,
        form=material.form,
    )


def implementation_ref(implementation: ItemImplementation) -> ImplementationRef:
    """Needs `item` and `division` selected and `materials` prefetched (or pays a query each)."""
    item = implementation.item
    return ImplementationRef(
        id=implementation.id,
        public_id=implementation.public_id,
        item_id=item.id,
        item_code=item.code,
        item_name=item.name,
        item_type=item.item_type,
        serving=item.serving,
        handling_kind=item.handling_kind,
        division_code=implementation.division.code,
        department_id=implementation.department_id,
        status=implementation.status,
        conditions=implementation.conditions,
        legal_days=implementation.legal_days,
        promised_days=implementation.promised_days,
        fees=tuple(dict(fee) for fee in implementation.fees or ()),
        result_name=implementation.result_name,
        result_licence_type=implementation.result_licence_type,
        visits=implementation.visits,
        online=implementation.online,
        mobile=implementation.mobile,
        instant=implementation.instant,
        process=implementation.process,
        decision=implementation.decision,
        form_fields=tuple(FormField.from_json(entry) for entry in implementation.form_fields or ()),
        materials=tuple(material_ref(material) for material in implementation.materials.all()),
        division_id=implementation.division_id,
    )


def _implementations():
    return ItemImplementation.objects.select_related("item", "division").prefetch_related(
        Prefetch("materials", queryset=Material.objects.order_by("position", "id"))
    )


def item_get(*, code: str) -> ItemRef | None:
    item = ServiceItem.objects.filter(code=code).first()
    return item_ref(item) if item else None


def implementation_get(*, public_id: UUID | str) -> ImplementationRef | None:
    """The implementation whatever its status (callers check `status`); None if unknown."""
    try:
        public_id = UUID(str(public_id))
    except ValueError:
        return None
    implementation = _implementations().filter(public_id=public_id).first()
    return implementation_ref(implementation) if implementation else None


def implementation_for(*, item_code: str, division_code: str) -> ImplementationRef | None:
    """The PUBLISHED implementation serving the division: at the division, else its nearest ancestor.

    A citizen of a township is served by the township's own implementation when there is one,
    else by the county's, the city's or the province's (township → county → city → province).
    """
    chain = _chain(division_code)
    if not chain:
        return None
    candidates = {
        implementation.division_id: implementation
        for implementation in _implementations().filter(
            item__code=item_code, division_id__in=[division_id for division_id, _code in chain],
            status=ImplementationStatus.PUBLISHED,
        )
    }
    for division_id, _code in chain:
        if division_id in candidates:
            return implementation_ref(candidates[division_id])
    return None


# --- Staff: the implementation lists an officer keeps ----------------------------------------------


def access_implementation(*, actor: Actor, public_id: UUID | str) -> ItemImplementation:
    """The implementation the actor may edit (item, division and department selected).

    ItemImplementation.DoesNotExist when there is none; PermissionDenied when it is another
    department's or division's.
    """
    try:
        public_id = UUID(str(public_id))
    except ValueError:
        raise ItemImplementation.DoesNotExist from None
    implementation = ItemImplementation.objects.select_related("item", "division__parent", "department").get(
        public_id=public_id
    )
    implementation_editor_check(Editor(actor), department_id=implementation.department_id,
                                division_code=implementation.division.code)
    return implementation


def implementation_list_editable(
    *, actor: Actor, query: str = "", status: str | None = None
) -> QuerySet[ItemImplementation]:
    """The implementation lists the actor keeps, newest change first (none for non-staff)."""
    editor = Editor(actor)
    rows = (
        ItemImplementation.objects.filter(editor.implementation_scope())
        .select_related("item", "division", "department")
        .annotate(material_count=Count("materials"))
        .order_by("-updated_at", "id")
    )
    if status:
        rows = rows.filter(status=status)
    query = (query or "").strip()
    if query:
        rows = rows.filter(Q(item__name__icontains=query) | Q(item__code__icontains=query.upper()))
    return rows


def items_editable(*, actor: Actor) -> QuerySet[ServiceItem]:
    """Catalogue entries the actor may change (the province's coordinators: all of them)."""
    editor = Editor(actor)
    if editor.may_edit_items():
        return ServiceItem.objects.all()
    if not editor.may_edit_any_item():
        return ServiceItem.objects.none()
    return ServiceItem.objects.filter(competent_department_kind=editor.department_kind)


# --- The public: search, item guides, the finder -------------------------------------------------

PER_PAGE = 20
MAX_PAGE = 500


@dataclass(frozen=True)
class ImplementationSummary:
    """What a search result says of the implementation serving the searcher's division."""

    public_id: UUID
    division_code: str
    division_name: str
    department_name: str
    promised_days: int
    legal_days: int
    visits: int
    online: bool
    mobile: bool
    instant: bool
    free: bool


@dataclass(frozen=True)
class ItemResult:
    item: ItemRef
    implementation: ImplementationSummary | None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class ItemSearchPage:
    query: str
    results: tuple[ItemResult, ...]
    total: int
    page: int
    pages: int
    facets: tuple[Facet, ...]
    division_code: str | None

    @property
    def start_index(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.results else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.results) - 1 if self.results else 0


# A township's chain is four divisions deep (township → county → city → province): the division
# and three ancestors come in one query as plain values, without building a model for each level.
CHAIN_COLUMNS = ("id", "code", "parent_id", "parent__code", "parent__parent_id", "parent__parent__code",
                 "parent__parent__parent_id", "parent__parent__parent__code", "parent__parent__parent__parent_id")


def _chain(division_code: str | None) -> list[tuple[int, str]]:
    """(id, code) of the division and its ancestors, nearest first."""
    if not division_code:
        return []
    chain: list[tuple[int, str]] = []
    lookup = {"code": division_code}
    while lookup:
        row = next(iter(Division.objects.filter(**lookup).order_by().values_list(*CHAIN_COLUMNS)[:1]), None)
        if row is None:
            break
        # The ancestors are outer joins: the levels above the province are NULL.
        chain.extend((row[number], row[number + 1]) for number in range(0, 8, 2) if row[number] is not None)
        # A tree deeper than GB/T 2260's: go on from the oldest ancestor read.
        lookup = {"id": row[8]} if row[8] is not None else None
    return chain


def _published_serving(chain: list[tuple[int, str]]) -> QuerySet[ItemImplementation]:
    rows = ItemImplementation.objects.filter(status=ImplementationStatus.PUBLISHED)
    return rows.filter(division_id__in=[division_id for division_id, _code in chain]) if chain else rows


def _serving_q(serving: str | None) -> Q:
    if serving in (ServingSubject.CITIZEN, ServingSubject.COMPANY):
        return Q(serving__in=[serving, ServingSubject.BOTH])
    return Q()


def _match_sql(query: str) -> tuple[str, tuple] | None:
    """The SQL of the public item documents matching `query` with their scores (columns key,
    score), or None when the query has no token. The score is what kernel.search ranks by
    (score_of): the sum of the weights of the document's matched tokens."""
    if not query_tokens(query):
        return None
    keys = keys_matching(query=query, kind=SEARCH_KIND)
    # keys_matching filters on the tokens first, so the sum is over the matched tokens only.
    scored = keys.annotate(score=Sum("tokens__weight")).order_by().values_list("key", "score")
    try:
        sql, params = scored.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _candidates(rows: QuerySet[ServiceItem], query: str) -> list[tuple]:
    """(id, code, theme, item_type, serving, score) of the items of `rows` matching `query`, in
    one query: the text match joined to the items as a derived table, so the token table is read
    once for the total, the facets and the page (the open-data portal resolves its match once
    the same way). Both SQL texts are Django's; only the aliases are written here."""
    columns = ("id", "code", "theme", "item_type", "serving")
    if not query:
        return [(*row, 0) for row in rows.order_by().values_list(*columns)]
    match = _match_sql(query)
    if match is None:
        return []
    try:
        items_sql, items_params = rows.order_by().values_list(*columns).query.sql_with_params()
    except EmptyResultSet:
        return []
    quote = connection.ops.quote_name
    selected = ", ".join(f"{quote('i')}.{quote(c)}" for c in columns)
    sql = (f"SELECT {selected}, {quote('m')}.{quote('score')} FROM ({items_sql}) {quote('i')} "
           f"INNER JOIN ({match[0]}) {quote('m')} ON {quote('m')}.{quote('key')} = {quote('i')}.{quote('code')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*items_params, *match[1]))
        return cursor.fetchall()


def item_search(
    *,
    query: str = "",
    division_code: str | None = None,
    serving: str | None = None,
    theme: str | None = None,
    item_type: str | None = None,
    page: int = 1,
) -> ItemSearchPage:
    """Items the public can apply for that match `query` (Chinese segmentation through
    kernel.search), best match first, PER_PAGE a page, with each item's implementation serving
    `division_code` (at the division or its nearest ancestor; only items served there are listed
    when a division is given). Facets count the result by theme, type and who may apply, each
    as filtered by the other facets. Anyone may search: only published implementations count.

    Three queries whatever the size of the match: the division's ancestors, the matching items'
    facet columns and scores (filtered, counted and paged here: a few thousand small rows at
    most), and the page's items with the implementation serving each."""
    query = (query or "").strip()[:200]
    page = max(1, min(int(page or 1), MAX_PAGE))
    chain = _chain(division_code)
    if division_code and not chain:
        return ItemSearchPage(query, (), 0, 1, 1, (), division_code)
    served = _published_serving(chain).filter(item_id=OuterRef("pk"))
    candidates = _candidates(ServiceItem.objects.filter(Exists(served)), query)
    matched, facets = _filter_and_count(candidates, theme=theme, item_type=item_type, serving=serving)
    # Best match first, then by code: the order of the key (-score, code), as two stable sorts on
    # plain columns (no key tuple built per row).
    matched.sort(key=itemgetter(1))
    matched.sort(key=itemgetter(5), reverse=True)
    total = len(matched)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    page_ids = [row[0] for row in matched[(page - 1) * PER_PAGE : page * PER_PAGE]]
    return ItemSearchPage(
        query=query,
        results=_page_results(page_ids, chain),
        total=total,
        page=page,
        pages=pages,
        facets=facets,
        division_code=division_code or None,
    )


# What a result shows of the implementation serving the searcher, and of its item, read as plain
# values: a page is twenty rows, and model instances for them (and their division and
# department) cost more than the query.
SUMMARY_VALUES = ("item_id", "division_id", "public_id", "division__code", "division__name", "department__name",
                  "promised_days", "legal_days", "visits", "online", "mobile", "instant", "fees")
ITEM_VALUES = ("item__public_id", "item__code", "item__name", "item__item_type", "item__serving", "item__basis",
               "item__theme")


def _serving_implementations(item_ids: list[int], chain: list[tuple[int, str]],
                             item_values: tuple[str, ...] = ()) -> dict[int, dict]:
    """Each item's implementation serving the chain's division (nearest first); without a
    division, the item's implementation at the highest level (the province's, if any): item id →
    SUMMARY_VALUES (and `item_values`) of that implementation, for the items that have one."""
    if not item_ids:
        return {}
    rows = (
        _published_serving(chain)
        .filter(item_id__in=item_ids)
        .order_by()  # the default order joins the items; the choice below does not depend on order
        .values(*SUMMARY_VALUES, *item_values)
    )
    depth = {division_id: number for number, (division_id, _code) in enumerate(chain)}

    def rank(row: dict) -> tuple[int, str]:
        return depth.get(row["division_id"], len(row["division__code"])), row["division__code"]

    best: dict[int, dict] = {}
    for row in rows:
        current = best.get(row["item_id"])
        if current is None or rank(row) < rank(current):
            best[row["item_id"]] = row
    return best


def _summaries(items: list[ServiceItem], chain: list[tuple[int, str]]) -> dict[int, ImplementationSummary]:
    """Each item's implementation serving the chain's division (see _serving_implementations)."""
    best = _serving_implementations([item.id for item in items], chain)
    return {item_id: _summary_of(row) for item_id, row in best.items()}


def _page_results(item_ids: list[int], chain: list[tuple[int, str]]) -> tuple[ItemResult, ...]:
    """The results for `item_ids`, in that order: each item read with the implementation serving
    the chain's division, in one query. Every item of a search has such an implementation; one
    unpublished since the match is shown without (and one deleted since, not at all)."""
    best = _serving_implementations(item_ids, chain, ITEM_VALUES)
    unserved = [item_id for item_id in item_ids if item_id not in best]
    items = ServiceItem.objects.in_bulk(unserved) if unserved else {}
    results = []
    for item_id in item_ids:
        row = best.get(item_id)
        if row is not None:
            ref = ItemRef(id=item_id, public_id=row["item__public_id"], code=row["item__code"], name=row["item__name"],
                          item_type=row["item__item_type"], serving=row["item__serving"], basis=row["item__basis"],
                          theme=row["item__theme"])
            results.append(ItemResult(ref, _summary_of(row)))
        elif item_id in items:
            results.append(ItemResult(item_ref(items[item_id]), None))
    return tuple(results)


def _summary_of(row: dict) -> ImplementationSummary:
    return ImplementationSummary(
        public_id=row["public_id"],
        division_code=row["division__code"],
        division_name=row["division__name"],
        department_name=row["department__name"],
        promised_days=row["promised_days"],
        legal_days=row["legal_days"],
        visits=row["visits"],
        online=row["online"],
        mobile=row["mobile"],
        instant=row["instant"],
        free=_free(row["fees"]),
    )


def _free(fees) -> bool:
    return not any((fee or {}).get("amount_fen") for fee in fees or ())


def _summary(row: ItemImplementation) -> ImplementationSummary:
    return ImplementationSummary(
        public_id=row.public_id,
        division_code=row.division.code,
        division_name=row.division.name,
        department_name=row.department.name,
        promised_days=row.promised_days,
        legal_days=row.legal_days,
        visits=row.visits,
        online=row.online,
        mobile=row.mobile,
        instant=row.instant,
        free=_free(row.fees),
    )


def _filter_and_count(candidates: list[tuple], *, theme: str | None, item_type: str | None,
                      serving: str | None) -> tuple[list[tuple], tuple[Facet, ...]]:
    """The rows (id, code, theme, item_type, serving, score) every filter keeps, and the facets:
    counts by theme, type and who applies, each over the rows the other filters keep. One pass:
    each row's three tests are made once and serve the result and all three counts."""
    wanted_serving = (
        {serving, ServingSubject.BOTH} if serving in (ServingSubject.CITIZEN, ServingSubject.COMPANY) else None
    )
    matched: list[tuple] = []
    themes: dict[str, int] = {}
    types: dict[str, int] = {}
    servings: dict[str, int] = {}
    for row in candidates:
        row_theme, row_type, row_serving = row[2], row[3], row[4]
        theme_kept = not theme or row_theme == theme
        type_kept = not item_type or row_type == item_type
        serving_kept = wanted_serving is None or row_serving in wanted_serving
        if type_kept and serving_kept:
            if theme_kept:
                matched.append(row)
            if row_theme:
                themes[row_theme] = themes.get(row_theme, 0) + 1
        if theme_kept and serving_kept:
            types[row_type] = types.get(row_type, 0) + 1
        if theme_kept and type_kept:
            servings[row_serving] = servings.get(row_serving, 0) + 1
    return matched, _facets(themes, types, servings, theme=theme, item_type=item_type, serving=serving)


def _facets(themes: dict[str, int], types: dict[str, int], servings: dict[str, int], *, theme: str | None,
            item_type: str | None, serving: str | None) -> tuple[Facet, ...]:
    """The facets from the counts by theme, type and who applies ("both" counts for each)."""
    both = servings.get(ServingSubject.BOTH, 0)
    who = [
        (ServingSubject.CITIZEN, servings.get(ServingSubject.CITIZEN, 0) + both),
        (ServingSubject.COMPANY, servings.get(ServingSubject.COMPANY, 0) + both),
    ]
    return (
        Facet("theme", str(_("Theme")), tuple(
            FacetValue(value, value, n, value == theme)
            for value, n in sorted(themes.items(), key=lambda pair: (-pair[1], pair[0])))),
        Facet("item_type", str(_("Type of item")), tuple(
            FacetValue(value, str(label), types[value], value == item_type)
            for value, label in ItemType.choices if types.get(value))),
        Facet("serving", str(_("Who applies")), tuple(
            FacetValue(str(value), str(SERVING_LABELS[value]), n, value == serving) for value, n in who if n)),
    )


SERVING_LABELS = {ServingSubject.CITIZEN: _("For citizens"), ServingSubject.COMPANY: _("For companies")}


def themes_published() -> list[tuple[str, int]]:
    """The themes of items the public can apply for, with how many items each has."""
    served = ItemImplementation.objects.filter(status=ImplementationStatus.PUBLISHED, item_id=OuterRef("pk"))
    return list(
        ServiceItem.objects.filter(Exists(served))
        .exclude(theme="")
        .order_by()
        .values_list("theme")
        .annotate(n=Count("id"))
        .order_by("-n", "theme")
    )


def applicant_division_code(actor: Actor) -> str | None:
    """The division a citizen or company is served in (household registration, registered seat)."""
    if actor.citizen_id is not None:
        return Citizen.objects.filter(id=actor.citizen_id).values_list("division__code", flat=True).first()
    if actor.company_id is not None:
        return Company.objects.filter(id=actor.company_id).values_list("division__code", flat=True).first()
    return actor.division_code


@dataclass(frozen=True)
class ItemGuide:
    """办事指南: an item's catalogue entry and the implementation shown (with its materials)."""

    item: ServiceItem
    implementation: ItemImplementation | None
    materials: tuple[Material, ...]
    divisions: tuple[tuple[str, str], ...]  # (code, name) of every division with a published implementation
    process_steps: tuple[str, ...]
    serves_area: bool  # whether `implementation` serves the division asked for (True when none was)


# What each process of applications does, step by step, as the guide tells applicants.
PROCESS_STEPS = {
    "instant": (_("Apply online"), _("The system checks the shared data and decides at once (秒办)"),
                _("Result issued")),
    "simple": (_("Apply online or at the window"), _("The service centre window accepts the application"),
               _("The department decides"), _("Result issued")),
    "standard": (_("Apply online or at the window"), _("The service centre window accepts the application"),
                 _("A case officer of the department reviews it"), _("A leader of the department approves it"),
                 _("Result issued")),
    "parallel_review": (_("Apply online or at the window"), _("The service centre window accepts the application"),
                        _("Two case officers review it in parallel"), _("A leader of the department approves it"),
                        _("Result issued")),
}


def item_guide(*, code: str, division_code: str | None = None) -> ItemGuide | None:
    """The public guide of an item: None when the item is unknown or nowhere published. The
    implementation shown serves `division_code` (nearest level first), else the highest level's."""
    item = ServiceItem.objects.select_related("parent").filter(code=code).first()
    if item is None:
        return None
    published = list(
        ItemImplementation.objects.filter(item=item, status=ImplementationStatus.PUBLISHED)
        .select_related("division", "department")
        .order_by("division__code")
    )
    if not published:
        return None
    chosen = None
    if division_code:
        by_division = {row.division.code: row for row in published}
        chosen = next((by_division[c] for _id, c in _chain(division_code) if c in by_division), None)
    serves_area = chosen is not None or not division_code
    if chosen is None:
        chosen = min(published, key=lambda row: (len(row.division.code.rstrip("0")), row.division.code))
    materials = tuple(chosen.materials.order_by("position", "id"))
    steps = tuple(str(step) for step in PROCESS_STEPS.get(chosen.process, ()))
    return ItemGuide(
        item=item,
        implementation=chosen,
        materials=materials,
        divisions=tuple((row.division.code, row.division.name) for row in published),
        process_steps=steps,
        serves_area=serves_area,
    )


# --- The guided finder (智能导服) ----------------------------------------------------------------


@dataclass(frozen=True)
class FinderAnswer:
    code: str
    label: str


@dataclass(frozen=True)
class FinderQuestionRef:
    code: str
    text: str
    answers: tuple[FinderAnswer, ...]


@dataclass(frozen=True)
class FinderStep:
    """Either the next question to ask, or (at the end of a path) the matching items."""

    question: FinderQuestionRef | None
    results: tuple[ItemResult, ...] | None
    path: tuple[tuple[str, str], ...]  # (question text, answer label) chosen so far


class FinderPathError(ValueError):
    """The answers do not follow the finder's questions (a stale or forged link)."""


def finder_step(*, answers: list[str] | tuple[str, ...], division_code: str | None = None) -> FinderStep:
    """Follow `answers` (answer codes, in order) from the start question: the next question, or
    the items the last answer leads to that are published for the division (nearest level)."""
    questions = {question.code: question for question in FinderQuestion.objects.all()}
    start = next((q for q in sorted(questions.values(), key=lambda q: (q.position, q.code)) if q.is_start), None)
    if start is None:
        raise FinderPathError("the finder has no start question")
    question = start
    path: list[tuple[str, str]] = []
    for number, code in enumerate(answers):
        answer = next((a for a in question.answers if a.get("code") == code), None)
        if answer is None or len(path) > len(questions):
            raise FinderPathError(f"answer {number + 1} ({code!r}) is not an answer of {question.code!r}")
        path.append((question.text, answer.get("label", "")))
        if answer.get("next"):
            question = questions.get(answer["next"])
            if question is None:
                raise FinderPathError(f"question {answer['next']!r} is gone")
            continue
        if number != len(answers) - 1:
            raise FinderPathError("answers go on after the path ended")
        return FinderStep(None, _finder_results(answer, division_code), tuple(path))
    return FinderStep(
        FinderQuestionRef(
            question.code, question.text, tuple(FinderAnswer(a["code"], a["label"]) for a in question.answers)
        ),
        None,
        tuple(path),
    )


def _finder_results(answer: dict, division_code: str | None) -> tuple[ItemResult, ...]:
    chain = _chain(division_code)
    served = _published_serving(chain).filter(item_id=OuterRef("pk"))
    wanted = Q(code__in=answer.get("items") or [])
    if answer.get("themes"):
        wanted |= Q(theme__in=answer["themes"])
    items = list(ServiceItem.objects.filter(wanted).filter(Exists(served)).order_by("code"))
    listed = {code: number for number, code in enumerate(answer.get("items") or [])}
    items.sort(key=lambda item: (listed.get(item.code, len(listed)), item.code))
    summaries = _summaries(items, chain)
    return tuple(ItemResult(item_ref(item), summaries.get(item.id)) for item in items)


def item_public_detail(*, code: str) -> tuple[ServiceItem, list[ImplementationSummary]] | None:
    """An item and a summary of each published implementation, by division; None if it is
    unknown or published nowhere."""
    item = ServiceItem.objects.select_related("parent").filter(code=code).first()
    if item is None:
        return None
    rows = (
        ItemImplementation.objects.filter(item=item, status=ImplementationStatus.PUBLISHED)
        .select_related("division", "department")
        .order_by("division__code")
    )
    summaries = [_summary(row) for row in rows]
    return (item, summaries) if summaries else None


def division_known(code: str) -> bool:
    return Division.objects.filter(code=code).exists()


def division_options() -> list[tuple[str, str]]:
    """(code, name) of the province, cities and counties: the areas an applicant can choose."""
    return list(
        Division.objects.filter(level__in=["province", "city", "county"]).order_by("code").values_list("code", "name")
    )
