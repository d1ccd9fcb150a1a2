"""Reads of one-thing bundles, each scoped to what the actor may see.

- Published bundles and their guides are public. An unpublished bundle is seen only by those who
  may define bundles at its division (access.may_define).
- A bundle application is its applicant's alone: for anyone else it does not exist.
- A bundle application's state shown is derived from its parts' applications as they are now
  (`bundle_progress`), so it never waits for the delivery of an event.
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import department_get
from zhengtong.services.applications.public import ApplicationState, application_refs_get

from . import access
from .merging import MergedForm
from .models import Bundle, BundleApplication, BundleApplicationPart, BundlePart, BundleState
from .services import bundle_form_of, bundle_state_derive, material_states, part_sources, parts_merge

__all__ = [
    "BundleGuide", "BundleProgress", "PartGuide", "PartStatus", "access_bundle", "access_bundle_application",
    "bundle_application_by_key", "bundle_application_list_mine", "bundle_form", "bundle_guide", "bundle_list",
    "bundle_progress",
    "draft_form", "material_states",
]


def _uuid(value) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def _bundles() -> QuerySet[Bundle]:
    return Bundle.objects.select_related("division").prefetch_related(
        Prefetch("parts", queryset=BundlePart.objects.select_related("item").order_by("position", "id")))


def bundle_list(*, serving: str | None = None) -> QuerySet[Bundle]:
    """Published bundles, by name; `serving` "citizen" / "company" keeps those that serve them."""
    bundles = _bundles().filter(is_published=True)
    if serving in ("citizen", "company"):
        bundles = bundles.filter(serving__in=(serving, "both"))
    return bundles.order_by("name", "code")


def access_bundle(*, actor: Actor, code: str) -> Bundle:
    """A bundle by code: published, or one the actor may define. Bundle.DoesNotExist otherwise."""
    bundle = _bundles().filter(code=str(code or "")).first()
    if bundle is None or not (bundle.is_published or access.may_define(actor, bundle.division.code)):
        raise Bundle.DoesNotExist(f"no bundle {code}")
    return bundle


def bundle_form(bundle: Bundle) -> MergedForm:
    """The merged form and materials of the bundle's parts as offered at its division now."""
    return parts_merge(part_sources(bundle, bundle.parts.all()))


@dataclass(frozen=True)
class PartGuide:
    position: int
    item_code: str
    item_name: str
    implementation_id: UUID
    department_name: str
    promised_days: int
    legal_days: int
    visits: int
    result_name: str
    fee_fen: int


@dataclass(frozen=True)
class BundleGuide:
    """What an applicant reads before starting: the parts, who handles each, what is asked once,
    what is not asked at all, and how long it takes (the parts run in parallel)."""

    bundle: Bundle
    parts: tuple[PartGuide, ...]
    form: MergedForm
    promised_days: int  # the longest part's: they are handled at the same time
    separate_promised_days: int  # the sum, if each were done one after the other
    visits: int
    fee_fen: int
    fields_asked: int
    fields_separately: int  # how many questions the parts would ask one by one
    materials_asked: int
    materials_waived: int  # fetched or produced by another part
    materials_separately: int


def bundle_guide(*, actor: Actor, code: str) -> BundleGuide:
    bundle = access_bundle(actor=actor, code=code)
    sources = part_sources(bundle, bundle.parts.all())
    form = parts_merge(sources)
    departments = {}
    parts = []
    for source in sources:
        implementation = source.implementation
        if implementation.department_id not in departments:
            department = department_get(implementation.department_id)
            departments[implementation.department_id] = department.name if department else ""
        parts.append(PartGuide(
            position=source.position, item_code=source.item_code, item_name=source.item_name,
            implementation_id=implementation.public_id, department_name=departments[implementation.department_id],
            promised_days=implementation.promised_days, legal_days=implementation.legal_days,
            visits=implementation.visits, result_name=implementation.result_name,
            fee_fen=sum(int(fee.get("amount_fen") or 0) for fee in implementation.fees)))
    return BundleGuide(
        bundle=bundle, parts=tuple(parts), form=form,
        promised_days=max((p.promised_days for p in parts), default=0),
        separate_promised_days=sum(p.promised_days for p in parts),
        visits=max((p.visits for p in parts), default=0),
        fee_fen=sum(p.fee_fen for p in parts),
        fields_asked=len(form.questions),
        fields_separately=sum(len(f.uses) for f in form.questions),
        materials_asked=sum(1 for m in form.materials if m.asked and not m.fetched),
        materials_waived=sum(1 for m in form.materials if m.waived),
        materials_separately=sum(len(s.implementation.materials) for s in sources),
    )


# --- bundle applications --------------------------------------------------------------------------


def access_bundle_application(*, actor: Actor, bundle_application_id) -> BundleApplication:
    """The actor's own bundle application; BundleApplication.DoesNotExist for anyone else."""
    public_id = _uuid(bundle_application_id)
    if public_id is None or actor.user_id is None or actor.kind not in access.APPLICANT_KINDS:
        raise BundleApplication.DoesNotExist(f"no bundle application {bundle_application_id}")
    found = (BundleApplication.objects.select_related("bundle__division")
             .filter(public_id=public_id, applicant_user_id=actor.user_id).first())
    if found is None:
        raise BundleApplication.DoesNotExist(f"no bundle application {bundle_application_id}")
    return found


def bundle_application_list_mine(*, actor: Actor) -> QuerySet[BundleApplication]:
    if actor.user_id is None or actor.kind not in access.APPLICANT_KINDS:
        return BundleApplication.objects.none()
    return (BundleApplication.objects.select_related("bundle").filter(applicant_user_id=actor.user_id)
            .order_by("-created_at", "-id"))


def bundle_application_by_key(*, actor: Actor, idempotency_key: str) -> BundleApplication | None:
    """The actor's bundle application submitted with this idempotency key, if any."""
    if actor.user_id is None or actor.kind not in access.APPLICANT_KINDS or not idempotency_key:
        return None
    return BundleApplication.objects.filter(applicant_user_id=actor.user_id,
                                            idempotency_key=str(idempotency_key).strip()).first()


def draft_form(*, actor: Actor, bundle_application_id) -> tuple[BundleApplication, MergedForm]:
    """The actor's bundle application and its merged form (for the journey's pages)."""
    bundle_application = access_bundle_application(actor=actor, bundle_application_id=bundle_application_id)
    return bundle_application, bundle_form_of(bundle_application)


@dataclass(frozen=True)
class PartStatus:
    """One line of the task list: a part, its department, its application's state and deadline."""

    position: int
    item_code: str
    item_name: str
    department_name: str
    application_id: UUID
    reference: str | None
    state: str
    state_label: str
    due_on: date | None
    submitted_at: datetime | None
    concluded_at: datetime | None
    instant: bool
    reason: str

    @property
    def needs_correction(self) -> bool:
        return self.state == ApplicationState.CORRECTION


@dataclass(frozen=True)
class BundleProgress:
    bundle_application: BundleApplication
    state: str  # derived from the parts now
    parts: tuple[PartStatus, ...]

    @property
    def state_label(self) -> str:
        return str(BundleState(self.state).label)

    @property
    def due_on(self) -> date | None:
        """When the one result is promised: the latest part's promise."""
        dates = [part.due_on for part in self.parts if part.due_on]
        return max(dates) if dates else None

    @property
    def approved_count(self) -> int:
        return sum(1 for part in self.parts if part.state == ApplicationState.APPROVED)


def bundle_progress(*, actor: Actor, bundle_application_id) -> BundleProgress:
    """The task list of a bundle application: each part with its state and due date, and the
    bundle's state derived from them (three queries however many parts)."""
    bundle_application = access_bundle_application(actor=actor, bundle_application_id=bundle_application_id)
    rows = list(BundleApplicationPart.objects.filter(bundle_application=bundle_application)
                .select_related("part__item", "application").order_by("part__position"))
    refs = application_refs_get([row.application.public_id for row in rows])
    departments: dict[int, str] = {}
    parts = []
    for row in rows:
        ref = refs.get(row.application.public_id)
        if ref is None:  # pragma: no cover - a part's application is never deleted (PROTECT)
            continue
        if ref.department_id not in departments:
            department = department_get(ref.department_id)
            departments[ref.department_id] = department.name if department else ""
        parts.append(PartStatus(
            position=row.part.position, item_code=row.part.item.code, item_name=row.part.item.name,
            department_name=departments[ref.department_id], application_id=ref.public_id, reference=ref.reference,
            state=ref.state, state_label=str(ApplicationState(ref.state).label), due_on=ref.due_on,
            submitted_at=ref.submitted_at, concluded_at=ref.concluded_at, instant=ref.instant,
            reason=ref.outcome_reason))
    state = bundle_state_derive([part.state for part in parts])
    if bundle_application.state == BundleState.DRAFT:
        state = BundleState.DRAFT
    return BundleProgress(bundle_application=bundle_application, state=state, parts=tuple(parts))
