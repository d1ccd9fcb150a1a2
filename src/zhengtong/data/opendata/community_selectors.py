"""Reads of the open-data community: applications, data requests and showcases.

Public reads name datasets only through OpenDataset, so a dataset the public may not see (any
more) is never named: a showcase lists only its still-public datasets, a data request answered
with a dataset that was later hidden shows no dataset. No public read names a requester or a
submitter. Staff reads are scoped to what the actor may decide (services.may_decide_*).
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops.public import loop_kind_get
from zhengtong.kernel.org.public import DepartmentRef, department_get, departments_within_reach

from .loop_kinds import OPENDATA_REQUEST
from .models import (
    ApplicationStatus,
    DataRequest,
    DataRequestStatus,
    OpenDataApplication,
    OpenDataset,
    Showcase,
    ShowcaseStatus,
)
from .services import SHANGHAI, bureau_prefix, is_department_officer, may_answer_request, may_review_showcase


# --- applications ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationView:
    application: OpenDataApplication
    open_dataset: OpenDataset | None  # None once the dataset is no longer public

    @property
    def is_active(self) -> bool:
        a = self.application
        return a.status == ApplicationStatus.APPROVED and a.expires_at is not None and a.expires_at > timezone.now()

    @property
    def has_expired(self) -> bool:
        a = self.application
        return a.status == ApplicationStatus.APPROVED and a.expires_at is not None and a.expires_at <= timezone.now()


def _with_datasets(applications) -> list[ApplicationView]:
    applications = list(applications)
    datasets = {od.dataset_id: od for od in OpenDataset.objects.filter(
        dataset_id__in={a.dataset_id for a in applications})}
    return [ApplicationView(a, datasets.get(a.dataset_id)) for a in applications]


def applications_of_user(*, user_id: int) -> list[ApplicationView]:
    """The person's own applications, newest first."""
    return _with_datasets(OpenDataApplication.objects.filter(applicant_id=user_id).order_by("-created_at", "-id"))


def application_of_user(*, user_id: int, public_id) -> OpenDataApplication:
    """One of the person's own applications; DoesNotExist for anyone else's."""
    return OpenDataApplication.objects.get(applicant_id=user_id, public_id=public_id)


def _decidable_department_ids(actor: Actor) -> set[int]:
    """The departments (with public datasets) whose applications the actor may decide."""
    if not actor.is_staff_member:
        return set()
    department_ids = set(OpenDataset.objects.values_list("department_id", flat=True).distinct())
    allowed = {d for d in department_ids if is_department_officer(actor, d)}
    prefix = bureau_prefix(actor)
    if prefix:
        for department_id in department_ids - allowed:
            department = department_get(department_id)
            if department is not None and department.division_code.startswith(prefix):
                allowed.add(department_id)
    return allowed


def applications_for_decider(*, actor: Actor, status: str | None = ApplicationStatus.PENDING) -> list[ApplicationView]:
    """Applications for the public datasets of the departments the actor decides for (pending
    ones by default, oldest first: first come, first decided)."""
    departments = _decidable_department_ids(actor)
    if not departments:
        return []
    dataset_ids = OpenDataset.objects.filter(department_id__in=departments).values("dataset_id")
    applications = OpenDataApplication.objects.filter(dataset_id__in=dataset_ids).select_related("applicant")
    if status:
        applications = applications.filter(status=status).order_by("created_at", "id")
    else:
        applications = applications.order_by("-created_at", "-id")
    return _with_datasets(applications)


def access_application_for_decider(*, actor: Actor, public_id) -> ApplicationView:
    """One application, for someone who may decide it (PermissionDenied otherwise;
    DoesNotExist when there is none)."""
    application = OpenDataApplication.objects.select_related("applicant", "decided_by").get(public_id=public_id)
    open_dataset = OpenDataset.objects.filter(dataset_id=application.dataset_id).first()
    if open_dataset is None or open_dataset.department_id not in _decidable_department_ids(actor):
        raise PermissionDenied("may not see this application")
    return ApplicationView(application, open_dataset)


# --- data requests --------------------------------------------------------------------------------


def answer_days() -> int:
    """Working days from the request to the answer's due date: the loop kind's steps to take the
    request on and to answer it."""
    spec = loop_kind_get(OPENDATA_REQUEST.code)
    return spec.step_days.get("accept", 0) + spec.step_days["handle"]


def answer_due(created_on: date) -> date:
    return _answer_due(created_on, answer_days())


def _answer_due(created_on: date, days: int) -> date:
    # The calendar caches the days per process; one call per distinct date is enough for a list.
    return add_working_days(created_on, days)


@dataclass(frozen=True)
class DataRequestView:
    """A data request as the public sees it: no requester, no description."""

    public_id: str
    title: str
    department_name: str
    status: str
    status_label: str
    answer: str
    created_on: date
    due: date
    answered_on: date | None
    open_dataset: OpenDataset | None  # the public dataset opened in answer, if still public

    @property
    def is_overdue(self) -> bool:
        return self.status == DataRequestStatus.OPEN and timezone.localdate(timezone=SHANGHAI) > self.due

    @property
    def answered_on_time(self) -> bool | None:
        return None if self.answered_on is None else self.answered_on <= self.due


def _local_date(moment) -> date:
    return timezone.localdate(moment, timezone=SHANGHAI)


def _request_views(requests) -> list[DataRequestView]:
    requests = list(requests)
    datasets = {od.dataset_id: od for od in OpenDataset.objects.filter(
        dataset_id__in={r.dataset_id for r in requests if r.dataset_id})}
    days = answer_days()
    dues: dict[date, date] = {}
    views = []
    for r in requests:
        created_on = _local_date(r.created_at)
        if created_on not in dues:
            dues[created_on] = _answer_due(created_on, days)
        views.append(DataRequestView(
            public_id=str(r.public_id), title=r.title, department_name=r.department.name, status=r.status,
            status_label=r.get_status_display(), answer=r.answer, created_on=created_on, due=dues[created_on],
            answered_on=_local_date(r.answered_at) if r.answered_at else None,
            open_dataset=datasets.get(r.dataset_id) if r.dataset_id else None,
        ))
    return views


def data_request_public_queryset(*, status: str | None = None) -> QuerySet:
    """Every data request, newest first (to page, then show through data_request_views)."""
    requests = DataRequest.objects.select_related("department").order_by("-created_at", "-id")
    if status:
        requests = requests.filter(status=status)
    return requests


def data_request_views(requests) -> list[DataRequestView]:
    """Requests as the public sees them."""
    return _request_views(requests)


def data_request_public_list(*, status: str | None = None) -> list[DataRequestView]:
    return _request_views(data_request_public_queryset(status=status))


def data_requests_of_user(*, user_id: int) -> list[DataRequestView]:
    return _request_views(DataRequest.objects.filter(requester_id=user_id).select_related("department")
                          .order_by("-created_at", "-id"))


@dataclass(frozen=True)
class MyDataRequest:
    view: DataRequestView
    awaiting_my_word: bool  # answered, and the loop waits for the requester to accept or send it back


def data_requests_of_requester(*, actor: Actor) -> list[MyDataRequest]:
    """The actor's own requests, newest first, each saying whether its answer waits for their word."""
    from zhengtong.kernel.loops.public import CaseState, case_get

    requests = list(DataRequest.objects.filter(requester_id=actor.user_id).select_related("department")
                    .order_by("-created_at", "-id"))
    views = _request_views(requests)
    mine = []
    for request, view in zip(requests, views):
        waiting = False
        if request.status != DataRequestStatus.OPEN and request.case_id:
            waiting = case_get(actor=actor, public_id=request.case_id).state == CaseState.RESPONDED
        mine.append(MyDataRequest(view, waiting))
    return mine


def data_request_of_requester(*, user_id: int, public_id) -> DataRequest:
    """The user's own request; DataRequest.DoesNotExist for anyone else's (or a malformed id)."""
    try:
        return DataRequest.objects.get(requester_id=user_id, public_id=public_id)
    except (ValueError, ValidationError):
        raise DataRequest.DoesNotExist from None


def data_requests_for_department(*, actor: Actor, status: str | None = None) -> QuerySet:
    """The requests addressed to the actor's department (staff), oldest first."""
    if not actor.is_staff_member:
        return DataRequest.objects.none()
    requests = DataRequest.objects.filter(department_id=actor.department_id).select_related("department")
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("created_at", "id")


def access_data_request_for_staff(*, actor: Actor, public_id) -> DataRequest:
    request = DataRequest.objects.select_related("department").get(public_id=public_id)
    if not may_answer_request(actor, request):
        raise PermissionDenied("may not see this request")
    return request


def data_request_view(request: DataRequest) -> DataRequestView:
    return _request_views([request])[0]


def request_departments() -> list[DepartmentRef]:
    """The departments a person may ask for data: those of the cities (and the province) where
    the portal has public datasets, and every department that has some."""
    seen: dict[int, DepartmentRef] = {}
    regions = OpenDataset.objects.values_list("region_code", flat=True).distinct().order_by("region_code")
    for region in regions:
        for department in departments_within_reach(region):
            seen.setdefault(department.id, department)
    for department_id in OpenDataset.objects.values_list("department_id", flat=True).distinct():
        if department_id not in seen:
            department = department_get(department_id)
            if department is not None:
                seen[department_id] = department
    return sorted(seen.values(), key=lambda d: (d.division_code, d.code))


# --- showcases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowcaseView:
    showcase: Showcase
    open_datasets: tuple[OpenDataset, ...]  # its datasets that are still public


def _showcase_views(showcases) -> list[ShowcaseView]:
    showcases = list(showcases.prefetch_related(Prefetch("datasets")))
    dataset_ids = {d.id for s in showcases for d in s.datasets.all()}
    public = {od.dataset_id: od for od in OpenDataset.objects.filter(dataset_id__in=dataset_ids)}
    return [ShowcaseView(s, tuple(sorted((public[d.id] for d in s.datasets.all() if d.id in public),
                                         key=lambda od: od.resource_code)))
            for s in showcases]


def showcases_published() -> list[ShowcaseView]:
    return _showcase_views(Showcase.objects.filter(status=ShowcaseStatus.PUBLISHED)
                           .order_by("-published_at", "-id"))


def showcases_for_dataset(dataset_id: int) -> list[ShowcaseView]:
    """The published showcases that use a public dataset (catalog id); none for a hidden one."""
    if not OpenDataset.objects.filter(dataset_id=dataset_id).exists():
        return []
    return _showcase_views(Showcase.objects.filter(status=ShowcaseStatus.PUBLISHED, datasets__id=dataset_id)
                           .order_by("-published_at", "-id").distinct())


def showcases_of_user(*, user_id: int) -> list[ShowcaseView]:
    return _showcase_views(Showcase.objects.filter(submitter_id=user_id).order_by("-created_at", "-id"))


def showcases_for_reviewer(*, actor: Actor, status: str = ShowcaseStatus.PENDING) -> list[ShowcaseView]:
    """Showcases awaiting review that the actor (a big-data administrator) may review."""
    if not bureau_prefix(actor):
        return []
    views = _showcase_views(Showcase.objects.filter(status=status).order_by("created_at", "id"))
    return [v for v in views if may_review_showcase(actor, v.showcase)]


def access_showcase_for_reviewer(*, actor: Actor, public_id) -> ShowcaseView:
    showcase = Showcase.objects.get(public_id=public_id)
    if not may_review_showcase(actor, showcase):
        raise PermissionDenied("may not review this showcase")
    return _showcase_views(Showcase.objects.filter(pk=showcase.pk))[0]
