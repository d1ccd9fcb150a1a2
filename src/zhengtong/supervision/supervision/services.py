"""Writes of 互联网+监管. Authorization first, then validation, then the change and its ledger
entry in one transaction; a rejected call changes nothing.

Who may write:
- the law library: staff leaders and big-data administrators (LAW_EDITOR_ROLES), or a superuser;
- supervision items, implementation items, plans: staff of the owning department;
- the inspector register: leaders of the inspector's department; an inspector declares their own
  conflicts;
- results of a drawn entity: staff of the plan's department.
"""

import secrets
import zlib
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import IdValidationError, uscc_parse
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops import public as loops
from zhengtong.kernel.org.models import Department, Division
from zhengtong.kernel.org.public import Role, division_prefix

from . import conf, draw
from .loop_kinds import KIND
from .models import (
    Article,
    ArticleVersion,
    DrawnEntity,
    ImplementationItem,
    InspectableEntity,
    InspectionPlan,
    InspectionResult,
    Inspector,
    Law,
    LawLevel,
    PlanState,
    ProvisionState,
    SupervisionItem,
)

LAW_EDITOR_ROLES = frozenset({Role.LEADER.value, Role.BIG_DATA_ADMIN.value})
REFRESH_CHUNK = 5000


def actor_label(actor: Actor | None) -> str:
    """Who acted, as the ledger names them (the registry's and exchange's scheme)."""
    if actor is None:
        return "system"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def today() -> date:
    return timezone.localdate()


def _required(value, field: str, message) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise ValidationError({field: message}, code="required")
    return value


def _staff(actor: Actor) -> None:
    if not actor.is_staff_member:
        raise PermissionDenied(_("Only staff of a department may do this."))


def may_edit_laws(actor: Actor) -> bool:
    return actor.kind == "staff" and (actor.is_superuser or (actor.is_staff_member and bool(
        LAW_EDITOR_ROLES.intersection(actor.roles))))


def _law_editor(actor: Actor) -> None:
    if not may_edit_laws(actor):
        raise PermissionDenied(_("Only a leader or a big-data administrator maintains the law library."))


# --- law library ------------------------------------------------------------------------------


@transaction.atomic
def law_create(*, actor: Actor, title: str, issuing_authority: str, level: str, promulgated_on: date,
               effective_on: date, articles: list[tuple[str, str]] = ()) -> Law:
    """A law with its articles [(number, text), …], each at version 1."""
    _law_editor(actor)
    errors = {}
    try:
        title = _required(title, "title", _("Give the law's title."))
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        issuing_authority = _required(issuing_authority, "issuing_authority", _("Give the issuing authority."))
    except ValidationError as error:
        errors.update(error.message_dict)
    if level not in LawLevel.values:
        errors["level"] = [_("Choose the level: law, administrative regulation, local regulation or "
                             "departmental rule.")]
    if not isinstance(promulgated_on, date) or not isinstance(effective_on, date):
        errors["effective_on"] = [_("Give the promulgation and effective dates.")]
    if errors:
        raise ValidationError(errors)
    if Law.objects.filter(title=title, issuing_authority=issuing_authority).exists():
        raise ValidationError({"title": _("This law is already in the library.")}, code="duplicate")
    law = Law.objects.create(title=title, issuing_authority=issuing_authority, level=level,
                             promulgated_on=promulgated_on, effective_on=effective_on)
    for position, (number, text) in enumerate(articles, start=1):
        _article_add(actor, law, number, text, position)
    ledger_append(kind="supervision.law_created", subject=f"law:{law.public_id}", actor=actor_label(actor),
                  payload={"title": title, "level": level, "articles": [n for n, _t in articles]})
    return law


def _article_add(actor: Actor, law: Law, number: str, text: str, position: int) -> Article:
    number = _required(number, "number", _("Give the article's number, such as 第十二条."))
    text = _required(text, "text", _("Give the article's text."))
    if Article.objects.filter(law=law, number=number).exists():
        raise ValidationError({"number": _("The law already has an article with this number.")}, code="duplicate")
    article = Article.objects.create(law=law, number=number, text=text, position=position)
    ArticleVersion.objects.create(article=article, version=1, text=text, state=ProvisionState.IN_FORCE,
                                  change="enacted", effective_on=law.effective_on, created_by_id=actor.user_id)
    return article


@transaction.atomic
def article_add(*, actor: Actor, law_id, number: str, text: str) -> Article:
    _law_editor(actor)
    law = Law.objects.select_for_update().get(public_id=law_id)
    position = (law.articles.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    return _article_add(actor, law, number, text, position)


def _flag_items(actor: Actor, article: Article, reason: str) -> list[SupervisionItem]:
    """Every item citing the article is flagged, and a review loop opens for its department (one
    open loop per item: an item already under review keeps its loop and gains the reason)."""
    flagged = []
    for item in SupervisionItem.objects.select_for_update().filter(articles=article).order_by("code"):
        item.needs_review = True
        item.review_reason = f"{item.review_reason}\n{reason}".strip() if item.review_reason else reason
        if item.review_case_id is None or item.review_state == loops.CaseState.CLOSED:
            case = loops.case_report(
                actor=actor, kind=KIND,
                title=str(_("Review supervision item %(code)s: its legal basis changed")) % {"code": item.code},
                description=reason, assignee_department_id=item.department_id,
                subject_ref=f"supervision_item:{item.public_id}",
            )
            item.review_case_id, item.review_state = case.public_id, case.state
        item.save(update_fields=["needs_review", "review_reason", "review_case_id", "review_state", "updated_at"])
        flagged.append(item)
    return flagged


@transaction.atomic
def article_amend(*, actor: Actor, article_id, text: str, effective_on: date | None = None,
                  note: str = "") -> Article:
    """修改: a new version of the article's text; the old stays readable; citing items are flagged."""
    _law_editor(actor)
    if not actor.is_staff_member:
        raise PermissionDenied(_("Only staff of a department may do this."))
    article = Article.objects.select_for_update().select_related("law").get(public_id=article_id)
    if article.state == ProvisionState.REPEALED:
        raise ValidationError(_("A repealed article cannot be amended."), code="repealed")
    text = _required(text, "text", _("Give the article's new text."))
    if text == article.text:
        raise ValidationError({"text": _("The new text is the same as the current one.")}, code="unchanged")
    article.version += 1
    article.text, article.state = text, ProvisionState.AMENDED
    article.save()
    ArticleVersion.objects.create(article=article, version=article.version, text=text, state=ProvisionState.AMENDED,
                                  change="amended", note=(note or "").strip(), effective_on=effective_on,
                                  created_by_id=actor.user_id)
    reason = str(_("%(article)s was amended (version %(version)d).")) % {"article": str(article),
                                                                         "version": article.version}
    flagged = _flag_items(actor, article, reason)
    ledger_append(kind="supervision.article_amended", subject=f"article:{article.public_id}",
                  actor=actor_label(actor), payload={"version": article.version, "items": [i.code for i in flagged]})
    return article


@transaction.atomic
def article_repeal(*, actor: Actor, article_id, effective_on: date | None = None, note: str = "") -> Article:
    """废止: the article stops being in force (its text stays readable); citing items are flagged."""
    _law_editor(actor)
    if not actor.is_staff_member:
        raise PermissionDenied(_("Only staff of a department may do this."))
    article = Article.objects.select_for_update().select_related("law").get(public_id=article_id)
    if article.state == ProvisionState.REPEALED:
        raise ValidationError(_("The article is already repealed."), code="repealed")
    article.version += 1
    article.state = ProvisionState.REPEALED
    article.save()
    ArticleVersion.objects.create(article=article, version=article.version, text=article.text,
                                  state=ProvisionState.REPEALED, change="repealed", note=(note or "").strip(),
                                  effective_on=effective_on, created_by_id=actor.user_id)
    reason = str(_("%(article)s was repealed.")) % {"article": str(article)}
    flagged = _flag_items(actor, article, reason)
    ledger_append(kind="supervision.article_repealed", subject=f"article:{article.public_id}",
                  actor=actor_label(actor), payload={"version": article.version, "items": [i.code for i in flagged]})
    return article


# --- supervision items ------------------------------------------------------------------------


def _articles(article_ids) -> list[Article]:
    ids = [str(a) for a in (article_ids or [])]
    if not ids:
        raise ValidationError({"articles": _("A supervision item needs a legal basis: cite at least one article.")},
                              code="no_basis")
    try:
        found = list(Article.objects.filter(public_id__in=ids))
    except ValidationError:
        found = []
    if len(found) != len(set(ids)):
        raise ValidationError({"articles": _("Cite articles that are in the law library.")}, code="unknown_article")
    if any(a.state == ProvisionState.REPEALED for a in found):
        raise ValidationError({"articles": _("A repealed article cannot found a supervision item.")},
                              code="repealed_basis")
    return found


def _checklist(checklist) -> list[str]:
    if isinstance(checklist, str):
        checklist = checklist.splitlines()
    rows = [str(c).strip() for c in (checklist or []) if str(c).strip()]
    if not rows:
        raise ValidationError({"checklist": _("List what the inspection checks, one point a line.")},
                              code="required")
    return rows


@transaction.atomic
def item_create(*, actor: Actor, code: str, name: str, article_ids, checklist, is_key: bool = False
                ) -> SupervisionItem:
    """A catalogue item of the actor's department, founded on the cited articles."""
    _staff(actor)
    errors = {}
    for field, value, message in (("code", code, _("Give the item's code.")),
                                  ("name", name, _("Give the item's name."))):
        try:
            _required(value, field, message)
        except ValidationError as error:
            errors.update(error.message_dict)
    for check in (lambda: _articles(article_ids), lambda: _checklist(checklist)):
        try:
            check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    code, name = code.strip(), name.strip()
    if SupervisionItem.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An item with this code exists.")}, code="duplicate")
    department = Department.objects.get(pk=actor.department_id)
    item = SupervisionItem.objects.create(code=code, name=name, department=department,
                                          department_kind=department.kind, checklist=_checklist(checklist),
                                          is_key=bool(is_key))
    articles = _articles(article_ids)
    item.articles.set(articles)
    ledger_append(kind="supervision.item_created", subject=f"supervision_item:{item.public_id}",
                  actor=actor_label(actor), payload={"code": code, "articles": sorted(str(a.public_id) for a in articles)})
    return item


def _own_item(actor: Actor, item_id) -> SupervisionItem:
    _staff(actor)
    item = SupervisionItem.objects.select_for_update().filter(public_id=item_id).first()
    if item is None:
        raise SupervisionItem.DoesNotExist
    if item.department_id != actor.department_id:
        raise PermissionDenied(_("Only the owning department's staff may change this item."))
    return item


@transaction.atomic
def item_update(*, actor: Actor, item_id, name: str | None = None, article_ids=None, checklist=None) -> SupervisionItem:
    item = _own_item(actor, item_id)
    if name is not None:
        item.name = _required(name, "name", _("Give the item's name."))
    if checklist is not None:
        item.checklist = _checklist(checklist)
    if article_ids is not None:
        item.articles.set(_articles(article_ids))
    item.save()
    return item


def _mirror(item: SupervisionItem, case: loops.CaseRef) -> None:
    item.review_state = case.state
    if case.state == loops.CaseState.CLOSED:
        item.needs_review = False
        item.review_reason = ""


@transaction.atomic
def item_review_respond(*, actor: Actor, item_id, response: str) -> SupervisionItem:
    """The owning department answers its review loop: what it changed (or why nothing needed to)."""
    item = _own_item(actor, item_id)
    if item.review_case_id is None or not item.needs_review:
        raise ValidationError(_("This item is not under review."), code="not_flagged")
    case = loops.case_get(actor=actor, public_id=item.review_case_id)
    if case.state == loops.CaseState.ASSIGNED:
        loops.case_accept(actor=actor, case=case.public_id)
    case = loops.case_respond(actor=actor, case=item.review_case_id, response=response)
    _mirror(item, case)
    item.save()
    return item


@transaction.atomic
def item_review_verify(*, actor: Actor, item_id, accepted: bool, note: str = "") -> SupervisionItem:
    """The department that changed the law library checks the answer; accepted closes the loop."""
    item = SupervisionItem.objects.select_for_update().get(public_id=item_id)
    if item.review_case_id is None:
        raise ValidationError(_("This item is not under review."), code="not_flagged")
    case = loops.case_verify(actor=actor, case=item.review_case_id, accepted=accepted, note=note)
    if accepted:
        case = loops.case_close(actor=actor, case=case)
    _mirror(item, case)
    item.save()
    return item


@transaction.atomic
def implementation_create(*, actor: Actor, item_id) -> ImplementationItem:
    """实施清单: the actor's department takes the catalogue item on at its division."""
    _staff(actor)
    item = SupervisionItem.objects.filter(public_id=item_id).first()
    if item is None:
        raise SupervisionItem.DoesNotExist
    department = Department.objects.select_related("division").get(pk=actor.department_id)
    if department.kind != item.department_kind:
        raise ValidationError(_("Only a department of the item's kind can implement it."), code="wrong_kind")
    if ImplementationItem.objects.filter(item=item, department=department).exists():
        raise ValidationError(_("Your department already implements this item."), code="duplicate")
    return ImplementationItem.objects.create(item=item, department=department, division=department.division)


# --- registers ----------------------------------------------------------------------------------


def entities_load(rows, *, credit=True) -> int:
    """Write the compact register from (registry_id, uscc, name, division_code, legal_representative,
    industry) rows, with each company's credit class from credit.public; returns rows written."""
    from zhengtong.supervision.credit.public import credit_classes

    now = timezone.now()
    written = 0
    rows = list(rows)
    for start in range(0, len(rows), REFRESH_CHUNK):
        chunk = rows[start:start + REFRESH_CHUNK]
        classes = credit_classes([r[1] for r in chunk]) if credit else {}
        objects = [InspectableEntity(registry_id=r[0] or "", uscc=r[1], name=r[2] or "", division_code=r[3] or "",
                                     legal_representative=r[4] or "", industry=r[5] or "",
                                     credit_class=classes.get(r[1], "B"), refreshed_at=now) for r in chunk]
        with transaction.atomic():
            InspectableEntity.objects.bulk_create(
                objects, update_conflicts=True, unique_fields=["uscc"],
                update_fields=["registry_id", "name", "division_code", "legal_representative", "industry",
                               "credit_class", "refreshed_at"])
        written += len(objects)
    return written


def entities_refresh(*, registry_ids: list[str] | None = None) -> int:
    """Refresh the register from the legal-person registry (all active companies, or these ids)."""
    from zhengtong.data.registry.public import golden_values_shared

    from .registry_source import company_registry_ids

    ids = list(registry_ids) if registry_ids is not None else company_registry_ids()
    rows = []
    for start in range(0, len(ids), REFRESH_CHUNK):
        values = golden_values_shared(kind="company", registry_ids=ids[start:start + REFRESH_CHUNK],
                                      fields=("uscc", "name", "division_code", "legal_representative"))
        for _asked, (registry_id, v) in values.items():
            if v.get("uscc"):
                rows.append((registry_id, v["uscc"], v.get("name", ""), v.get("division_code", ""),
                             v.get("legal_representative", ""), ""))
    return entities_load(rows)


def entities_refresh_credit() -> int:
    """Only the credit classes, from credit.public (a grade changed, nothing else did)."""
    from zhengtong.supervision.credit.public import credit_classes

    changed = 0
    usccs = list(InspectableEntity.objects.values_list("uscc", flat=True))
    for start in range(0, len(usccs), REFRESH_CHUNK):
        chunk = usccs[start:start + REFRESH_CHUNK]
        classes = credit_classes(chunk)
        current = dict(InspectableEntity.objects.filter(uscc__in=chunk).values_list("uscc", "credit_class"))
        moved = [InspectableEntity(uscc=u, credit_class=k) for u, k in classes.items() if current.get(u) != k]
        for entity in moved:
            InspectableEntity.objects.filter(uscc=entity.uscc).update(credit_class=entity.credit_class)
        changed += len(moved)
    return changed


def _conflicts(values) -> list[str]:
    out = set()
    for value in values or []:
        value = str(value).strip().upper()
        if not value:
            continue
        try:
            out.add(uscc_parse(value).code)
        except IdValidationError:
            raise ValidationError({"conflicts": _("%(value)s is not a valid unified social credit code.")
                                   % {"value": value}}, code="uscc") from None
    return sorted(out)


@transaction.atomic
def inspector_register(*, actor: Actor, user_id: int, certificate_no: str, name: str = "", conflicts=()
                       ) -> Inspector:
    """A leader of a department enters one of its staff in the inspector register."""
    from django.contrib.auth import get_user_model

    _staff(actor)
    if not (actor.is_superuser or actor.has_role(Role.LEADER.value)):
        raise PermissionDenied(_("Only a leader of the department registers its inspectors."))
    user = get_user_model().objects.filter(pk=user_id).select_related("staff_member__department").first()
    member = getattr(user, "staff_member", None) if user is not None else None
    if member is None or member.department_id != actor.department_id:
        raise PermissionDenied(_("Only staff of your own department can be registered as its inspectors."))
    certificate_no = _required(certificate_no, "certificate_no", _("Give the enforcement certificate number."))
    name = (name or "").strip() or member.name
    if Inspector.objects.filter(certificate_no=certificate_no).exists():
        raise ValidationError({"certificate_no": _("This certificate number is already registered.")},
                              code="duplicate")
    if Inspector.objects.filter(user_id=user_id).exists():
        raise ValidationError(_("This person is already in the inspector register."), code="duplicate")
    inspector = Inspector.objects.create(user_id=user_id, name=name, certificate_no=certificate_no,
                                         department=member.department, division_id=member.department.division_id,
                                         conflicts=_conflicts(conflicts))
    ledger_append(kind="supervision.inspector_registered", subject=f"inspector:{inspector.public_id}",
                  actor=actor_label(actor), payload={"certificate_no": certificate_no,
                                                     "department": member.department.code})
    return inspector


@transaction.atomic
def inspector_declare_conflicts(*, actor: Actor, inspector_id, conflicts) -> Inspector:
    """The inspector (or a leader of their department) declares the entities they must recuse from."""
    inspector = Inspector.objects.select_for_update().get(public_id=inspector_id)
    own = actor.user_id == inspector.user_id
    leader = actor.is_staff_member and actor.department_id == inspector.department_id and actor.has_role(
        Role.LEADER.value)
    if not (own or leader or actor.is_superuser):
        raise PermissionDenied(_("Only the inspector or a leader of their department may declare conflicts."))
    inspector.conflicts = _conflicts(conflicts)
    inspector.save()
    ledger_append(kind="supervision.conflicts_declared", subject=f"inspector:{inspector.public_id}",
                  actor=actor_label(actor), payload={"count": len(inspector.conflicts)})
    return inspector


# --- plans and the draw -------------------------------------------------------------------------


def _ratios(ratios, items: list[SupervisionItem]) -> dict[str, int]:
    """Percent per credit class → basis points, refusing a ratio above the cap of ordinary items."""
    if not isinstance(ratios, dict) or not ratios:
        raise ValidationError({"ratios": _("Give a sampling ratio for each credit class.")}, code="required")
    out = {}
    for klass in conf.CREDIT_CLASSES:
        raw = ratios.get(klass, 0)
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or value < 0 or value > 100:
            raise ValidationError({"ratios": _("A sampling ratio is a percentage from 0 to 100.")}, code="ratio")
        out[klass] = int((value * 100).to_integral_value())
    ordinary = all(not item.is_key for item in items)
    if ordinary:
        for klass, cap in conf.ordinary_ratio_cap().items():
            if Decimal(out[klass]) / 100 > cap:
                raise ValidationError({"ratios": _(
                    "The ratio for class %(klass)s (%(ratio)s%%) is above the cap of %(cap)s%% for ordinary "
                    "supervision items.") % {"klass": klass, "ratio": Decimal(out[klass]) / 100, "cap": cap}},
                    code="ratio_cap")
    if not any(out.values()):
        raise ValidationError({"ratios": _("Give a sampling ratio above zero for at least one credit class.")},
                              code="ratio")
    return out


@transaction.atomic
def plan_create(*, actor: Actor, title: str, item_ids, division_code: str, ratios,
                inspectors_per_inspection: int) -> InspectionPlan:
    """A plan of the actor's department: its own item, or with other departments' items a joint plan."""
    _staff(actor)
    errors = {}
    try:
        title = _required(title, "title", _("Give the plan a title."))
    except ValidationError as error:
        errors.update(error.message_dict)
    ids = [str(i) for i in (item_ids or [])]
    try:
        items = list(SupervisionItem.objects.filter(public_id__in=ids)) if ids else []
    except ValidationError:
        items = []
    if not ids:
        errors["items"] = [_("A plan needs at least one supervision item.")]
    elif len(items) != len(set(ids)):
        errors["items"] = [_("Choose supervision items from the catalogue.")]
    elif not any(item.department_id == actor.department_id for item in items):
        errors["items"] = [_("A plan must include an item of your own department.")]
    try:
        per = int(inspectors_per_inspection)
    except (TypeError, ValueError):
        per = 0
    if per < conf.min_inspectors():
        errors["inspectors_per_inspection"] = [_("An inspection needs at least %(n)d inspectors.")
                                               % {"n": conf.min_inspectors()}]
    division = Division.objects.filter(code=(division_code or "").strip()).first()
    if division is None:
        errors["division"] = [_("Choose a division that exists.")]
    if not errors or "items" not in errors:
        try:
            bp = _ratios(ratios, items)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if any(item.needs_review for item in items):
        raise ValidationError({"items": _("An item whose legal basis is under review cannot be planned.")},
                              code="item_under_review")
    plan = InspectionPlan.objects.create(title=title, department_id=actor.department_id, division=division,
                                         ratios=bp, inspectors_per_inspection=per, created_by_id=actor.user_id)
    plan.items.set(items)
    return plan


def _own_plan(actor: Actor, plan_id) -> InspectionPlan:
    _staff(actor)
    plan = InspectionPlan.objects.select_for_update().filter(public_id=plan_id).first()
    if plan is None:
        raise InspectionPlan.DoesNotExist
    if plan.department_id != actor.department_id:
        raise PermissionDenied(_("Only the plan's department may act on it."))
    return plan


def plan_departments(plan: InspectionPlan) -> list[Department]:
    return list(Department.objects.filter(pk__in=plan.items.values("department_id")).order_by("code"))


def _candidate_rows(plan: InspectionPlan) -> list[tuple[str, str]]:
    prefix = division_prefix(plan.division.code) or plan.division.code
    kinds = sorted({k for k in plan.items.values_list("department_kind", flat=True)} | {""})
    return list(InspectableEntity.objects.filter(division_code__startswith=prefix, industry__in=kinds)
                .values_list("uscc", "credit_class").iterator(chunk_size=20000))


def _inspector_entries(plan: InspectionPlan, departments: list[Department], usccs: set[str]
                       ) -> list[draw.InspectorEntry]:
    """Each inspector of the plan's departments, with whom they must recuse from: declared
    conflicts, and companies the registry links them to (they are its legal representative)."""
    inspectors = list(Inspector.objects.filter(department__in=departments, active=True).select_related("department"))
    names = {i.name for i in inspectors}
    linked: dict[str, set[str]] = {}
    for uscc, representative in InspectableEntity.objects.filter(legal_representative__in=names).values_list(
            "uscc", "legal_representative"):
        if uscc in usccs:
            linked.setdefault(representative, set()).add(uscc)
    return [draw.InspectorEntry(i.certificate_no, i.department.code,
                                frozenset(set(i.conflicts) & usccs | linked.get(i.name, set())))
            for i in inspectors]


@transaction.atomic
def plan_commit(*, actor: Actor, plan_id) -> InspectionPlan:
    """Publish the plan: freeze the candidates and inspectors, and commit to SHA-256 of a new seed."""
    plan = _own_plan(actor, plan_id)
    if plan.state != PlanState.DRAFT:
        raise ValidationError(_("The plan is already published."), code="state")
    rows = _candidate_rows(plan)
    if not rows:
        raise ValidationError(_("No entity of the register falls within the plan's division and items."),
                              code="no_candidates")
    canonical = draw.candidates_canonical(rows)
    departments = plan_departments(plan)
    entries = _inspector_entries(plan, departments, {u for u, _k in rows})
    seed = secrets.token_bytes(32).hex()
    plan.seed = seed
    plan.commitment = draw.seed_commitment(seed)
    plan.candidates = zlib.compress(canonical, 6)
    plan.candidates_digest = draw.digest(canonical)
    plan.candidate_count = len(rows)
    plan.inspectors_snapshot = [{"certificate_no": e.certificate_no, "department": e.department,
                                 "recuse": sorted(e.recuse)} for e in sorted(entries, key=lambda e: e.certificate_no)]
    plan.inspectors_digest = draw.digest(draw.inspectors_canonical(entries))
    plan.state, plan.committed_at = PlanState.COMMITTED, timezone.now()
    plan.save()
    ledger_append(kind="supervision.draw_committed", subject=f"plan:{plan.public_id}", actor=actor_label(actor),
                  payload={"commitment": plan.commitment, "candidates_digest": plan.candidates_digest,
                           "candidates": plan.candidate_count, "inspectors_digest": plan.inspectors_digest,
                           "ratios_bp": plan.ratios, "per_inspection": plan.inspectors_per_inspection})
    return plan


def plan_canonical(plan: InspectionPlan) -> bytes:
    return zlib.decompress(bytes(plan.candidates)) if plan.candidates else b""


@transaction.atomic
def plan_draw(*, actor: Actor, plan_id) -> InspectionPlan:
    """Run the draw, once: a second draw (which could only serve to change the result) is refused."""
    plan = _own_plan(actor, plan_id)
    if plan.state in (PlanState.DRAWN, PlanState.REVEALED) or plan.drawn_at is not None:
        raise ValidationError(_("This plan has already been drawn: a draw runs once and cannot be rerun to "
                                "change its result."), code="already_drawn")
    if plan.state != PlanState.COMMITTED:
        raise ValidationError(_("Publish the plan (commit to the seed) before drawing."), code="state")
    canonical = plan_canonical(plan)
    if draw.digest(canonical) != plan.candidates_digest:
        raise ValidationError(_("The frozen candidate list does not match its published digest."),
                              code="tampered")
    departments = [d.code for d in plan_departments(plan)]
    rows = draw.run(plan.seed, canonical, plan.ratios, draw.inspectors_from_snapshot(plan.inspectors_snapshot),
                    departments, plan.inspectors_per_inspection)
    DrawnEntity.objects.bulk_create(
        [DrawnEntity(plan=plan, uscc=r.uscc, name="", division_code="", credit_class=r.credit_class,
                     inspectors=list(r.inspectors), unassigned_reason=r.unassigned_reason) for r in rows],
        batch_size=2000)
    entity = InspectableEntity.objects.filter(uscc=OuterRef("uscc"))
    DrawnEntity.objects.filter(plan=plan).update(name=Subquery(entity.values("name")[:1]),
                                                 division_code=Subquery(entity.values("division_code")[:1]))
    plan.result_digest = draw.result_digest(rows)
    plan.state, plan.drawn_at = PlanState.DRAWN, timezone.now()
    plan.publish_due = add_working_days(today(), conf.publish_days())
    plan.save()
    ledger_append(kind="supervision.draw_run", subject=f"plan:{plan.public_id}", actor=actor_label(actor),
                  payload={"drawn": len(rows), "unassigned": sum(1 for r in rows if r.unassigned_reason),
                           "result_digest": plan.result_digest, "commitment": plan.commitment})
    return plan


@transaction.atomic
def plan_reveal(*, actor: Actor, plan_id) -> InspectionPlan:
    """Reveal the seed after the draw, so anyone can rerun it."""
    plan = _own_plan(actor, plan_id)
    if plan.state == PlanState.REVEALED:
        raise ValidationError(_("The seed is already revealed."), code="state")
    if plan.state != PlanState.DRAWN:
        raise ValidationError(_("The seed is revealed only after the draw."), code="state")
    plan.state, plan.revealed_at = PlanState.REVEALED, timezone.now()
    plan.save()
    ledger_append(kind="supervision.seed_revealed", subject=f"plan:{plan.public_id}", actor=actor_label(actor),
                  payload={"seed": plan.seed, "commitment": plan.commitment})
    return plan


def _recused(plan: InspectionPlan, inspector: Inspector, uscc: str) -> bool:
    if uscc in set(inspector.conflicts):
        return True
    for entry in plan.inspectors_snapshot:
        if entry["certificate_no"] == inspector.certificate_no and uscc in entry["recuse"]:
            return True
    return InspectableEntity.objects.filter(uscc=uscc, legal_representative=inspector.name).exists()


@transaction.atomic
def drawn_entity_assign(*, actor: Actor, plan_id, uscc: str, certificate_nos: list[str]) -> DrawnEntity:
    """Assign inspectors by hand to an entity the draw left unassigned, refusing anyone who must
    recuse, anyone outside the plan's departments, and fewer than the plan's number."""
    plan = _own_plan(actor, plan_id)
    entity = DrawnEntity.objects.select_for_update().filter(plan=plan, uscc=uscc).first()
    if entity is None:
        raise DrawnEntity.DoesNotExist
    if not entity.unassigned_reason:
        raise ValidationError(_("The draw already assigned this entity's inspectors."), code="assigned")
    certificate_nos = list(dict.fromkeys(c.strip() for c in certificate_nos if c and c.strip()))
    if len(certificate_nos) < plan.inspectors_per_inspection:
        raise ValidationError(_("An inspection needs at least %(n)d inspectors.")
                              % {"n": plan.inspectors_per_inspection}, code="too_few")
    inspectors = {i.certificate_no: i for i in Inspector.objects.filter(certificate_no__in=certificate_nos)}
    departments = {d.pk for d in plan_departments(plan)}
    for number in certificate_nos:
        inspector = inspectors.get(number)
        if inspector is None or inspector.department_id not in departments or not inspector.active:
            raise ValidationError(_("%(number)s is not an inspector of the plan's departments.")
                                  % {"number": number}, code="not_inspector")
        if _recused(plan, inspector, uscc):
            raise ValidationError(_("Inspector %(number)s must recuse from %(entity)s (a declared conflict or a "
                                    "registry link) and cannot inspect it.") % {"number": number, "entity": uscc},
                                  code="recusal")
    entity.inspectors, entity.assigned_by_hand = certificate_nos, True
    entity.save()
    ledger_append(kind="supervision.inspectors_assigned", subject=f"plan:{plan.public_id}", actor=actor_label(actor),
                  payload={"uscc": uscc, "inspectors": certificate_nos})
    return entity


@transaction.atomic
def drawn_entity_result(*, actor: Actor, plan_id, uscc: str, result: str, on: date, note: str = "") -> DrawnEntity:
    """Record the published result of one inspection."""
    plan = _own_plan(actor, plan_id)
    entity = DrawnEntity.objects.select_for_update().filter(plan=plan, uscc=uscc).first()
    if entity is None:
        raise DrawnEntity.DoesNotExist
    if result not in InspectionResult.values:
        raise ValidationError({"result": _("Choose the result: no problem, rectification ordered or penalty "
                                           "case filed.")}, code="result")
    if not isinstance(on, date) or (plan.drawn_at and on < timezone.localdate(plan.drawn_at)) or on > today():
        raise ValidationError({"on": _("Give the inspection's date, between the draw and today.")}, code="date")
    entity.result, entity.result_on, entity.result_note = result, on, (note or "").strip()
    entity.save()
    ledger_append(kind="supervision.result_recorded", subject=f"plan:{plan.public_id}", actor=actor_label(actor),
                  payload={"uscc": uscc, "result": result, "on": on.isoformat()})
    return entity
