"""Writes of the open-data community: applications for conditionally open data (有条件开放申请),
data requests (数据开放需求, a loop of kernel.loops) and reuse showcases (应用展示).

Every service checks who may act first, then the input, then writes in one transaction; a refused
call changes nothing. Refusals: PermissionDenied for the wrong person, ValidationError (keyed by
the form field it concerns) for input or state that does not allow the change. A dataset the
public may not see is "not an open dataset" like one that does not exist, whatever the caller.
"""

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import AccountKind, Actor, actor_from_user
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops.public import (
    CaseState,
    case_accept,
    case_close,
    case_get,
    case_report,
    case_respond,
    case_verify,
)
from zhengtong.kernel.org.public import Role, department_get, division_prefix

from .loop_kinds import OPENDATA_REQUEST
from .models import (
    ApplicationStatus,
    DataRequest,
    DataRequestStatus,
    OpenDataApplication,
    OpenDataset,
    OpenTier,
    Showcase,
    ShowcaseStatus,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICANT_KINDS = (AccountKind.CITIZEN, AccountKind.COMPANY)
OFFICER_ROLES = frozenset({Role.DATA_OFFICER.value, Role.BIG_DATA_ADMIN.value})

MIN_PURPOSE = 10
MAX_TEXT = 2000
MAX_ORGANISATION = 200
MAX_TITLE = 200
MIN_DESCRIPTION = 10
MAX_SHOWCASE_DATASETS = 20

# The data-use agreement (数据使用协议). A signed text must not change under the applicant when a
# translation is corrected, so it is not a gettext message: each version keeps its own fixed text,
# Chinese (binding) and English (for reference), and an application stores the version accepted.
# A new wording is a new version.
AGREEMENT_VERSION = "2026-1"
AGREEMENT_TEXT = {
    "zh-hans": (
        "数据以脱敏形式提供：姓名、证件号码、联系方式等个人信息字段经脱敏处理后交付。",
        "不得以任何方式（包括与其他数据比对、关联）重新识别脱敏数据所涉及的个人或组织。",
        "不得向任何第三方提供、转让、出售或公开所获数据及其副本。",
        "仅可将数据用于申请中说明的用途，变更用途须重新申请。",
        "使用期限届满或申请被撤销时，应立即删除所获数据及其全部副本。",
        "每次读取数据均记录在可信存证中（谁、何时、读取了多少行、依据哪项申请），数据提供部门可随时查阅。",
        "违反本协议的，数据提供部门可终止使用并依法追究责任。",
    ),
    "en": (
        "The data is delivered masked: fields of personal information such as names, ID numbers and "
        "contact details are masked before delivery.",
        "You must not re-identify, by any means (including matching or linking with other data), the "
        "persons or organisations the masked data concerns.",
        "You must not give, transfer, sell or publish the data or any copy of it to anyone else.",
        "You may use the data only for the purpose stated in the application; another purpose needs a new application.",
        "When the period of use ends or the application is withdrawn, delete the data and every copy at once.",
        "Every read of the data is logged in the trusted ledger (who, when, how many rows, on which "
        "application), and the providing department may inspect the log at any time.",
        "If you break this agreement the providing department may end your use and seek legal remedies.",
    ),
}


def agreement_clauses(language: str | None = None) -> tuple[str, ...]:
    """The current agreement in the language asked (the active one by default): English for
    English, else the binding Chinese text."""
    language = (language or get_language() or "zh-hans").lower()
    return AGREEMENT_TEXT["en"] if language.startswith("en") else AGREEMENT_TEXT["zh-hans"]


def china_today() -> date:
    return timezone.localdate(timezone=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Asia/Shanghai: a use "until 2026-12-31" runs through that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them (the same scheme as the exchange's)."""
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def _text(value: Any) -> str:
    return str(value or "").strip()


def _applicant_actor(user) -> Actor:
    actor = actor_from_user(user)
    if actor.kind not in APPLICANT_KINDS:
        raise PermissionDenied("Only citizen and company accounts apply, ask or submit here.")
    return actor


# --- who decides ------------------------------------------------------------------------------


def is_department_officer(actor: Actor, department_id: int | None) -> bool:
    """A data officer or big-data administrator of this very department."""
    return (actor.is_staff_member and department_id is not None and actor.department_id == department_id
            and bool(OFFICER_ROLES & actor.roles))


def bureau_prefix(actor: Actor) -> str | None:
    """The division prefix a big-data administrator governs ("3301" for a city's); None for anyone else."""
    if not (actor.is_staff_member and actor.has_role(Role.BIG_DATA_ADMIN)):
        return None
    return division_prefix(actor.division_code)


def may_decide_for_department(actor: Actor, department_id: int, *, division_code: str | None = None) -> bool:
    """The owning department's data officers (and big-data administrators), or a big-data
    administrator whose division contains the department's — the exchange's rule for approvals."""
    if is_department_officer(actor, department_id):
        return True
    prefix = bureau_prefix(actor)
    if not prefix:
        return False
    if division_code is None:
        department = department_get(department_id)
        division_code = department.division_code if department else ""
    return division_code.startswith(prefix)


# --- applications (有条件开放申请) ----------------------------------------------------------------


def application_submit(*, applicant_user, open_dataset: OpenDataset, organisation: str = "", purpose: str,
                       requested_until: date | None, agreement_accepted: bool) -> OpenDataApplication:
    """Apply to use an on-application dataset until `requested_until` (at most a year ahead).
    The purpose needs at least MIN_PURPOSE characters and the agreement must be accepted (its
    version and the time are kept); one pending application per person and dataset."""
    actor = _applicant_actor(applicant_user)
    purpose, organisation = _text(purpose), _text(organisation)
    errors: dict[str, list] = {}
    if open_dataset.tier != OpenTier.ON_APPLICATION:
        errors.setdefault("__all__", []).append(
            _("This dataset is open to everyone: download it or use the open API without applying."))
    if len(purpose) < MIN_PURPOSE:
        errors["purpose"] = [_("Describe the purpose in at least %(min)s characters.") % {"min": MIN_PURPOSE}]
    elif len(purpose) > MAX_TEXT:
        errors["purpose"] = [_("The purpose is too long: at most %(max)s characters.") % {"max": MAX_TEXT}]
    if len(organisation) > MAX_ORGANISATION:
        errors["organisation"] = [_("At most %(max)s characters.") % {"max": MAX_ORGANISATION}]
    today = china_today()
    if requested_until is None:
        errors["requested_until"] = [_("Enter the last day you need the data.")]
    elif requested_until <= today:
        errors["requested_until"] = [_("The last day of use must be after today.")]
    elif requested_until > one_year_after(today):
        errors["requested_until"] = [_("The last day of use can be at most one year from today (%(date)s).")
                                     % {"date": one_year_after(today).isoformat()}]
    if not agreement_accepted:
        errors["agreement_accepted"] = [_("Accept the data-use agreement to apply.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the dataset's public row so two submissions of one person cannot both pass the check.
        locked = OpenDataset.objects.select_for_update().filter(pk=open_dataset.pk).first()
        if locked is None:
            raise OpenDataset.DoesNotExist
        pending = OpenDataApplication.objects.filter(applicant_id=actor.user_id, dataset_id=locked.dataset_id,
                                                     status=ApplicationStatus.PENDING).exists()
        if pending:
            raise ValidationError(_("You already have an application for this dataset awaiting a decision: "
                                    "wait for it, or withdraw it first."), code="pending")
        return OpenDataApplication.objects.create(
            dataset_id=locked.dataset_id, applicant_id=actor.user_id, organisation=organisation, purpose=purpose,
            agreement_version=AGREEMENT_VERSION, agreement_accepted_at=timezone.now(),
            requested_until=requested_until,
        )


def may_decide_application(actor: Actor, application: OpenDataApplication, open_dataset: OpenDataset | None) -> bool:
    if open_dataset is None:
        return False
    return may_decide_for_department(actor, open_dataset.department_id)


def application_decide(*, actor: Actor, application: OpenDataApplication, approve: bool,
                       reason: str = "") -> OpenDataApplication:
    """Approve or reject a pending application: a data officer of the owning department, or a
    big-data administrator whose division covers it. Approval runs through the end of the
    requested day (Asia/Shanghai); a rejection needs a reason. The decision and its ledger entry
    ("opendata.application_decided", subject "dataset:<code>") share one transaction."""
    reason = _text(reason)
    with transaction.atomic():
        application = OpenDataApplication.objects.select_for_update().get(pk=application.pk)
        open_dataset = OpenDataset.objects.filter(dataset_id=application.dataset_id).first()
        if not may_decide_application(actor, application, open_dataset):
            raise PermissionDenied("may not decide this application")
        if application.status != ApplicationStatus.PENDING:
            raise ValidationError(_("This application is already decided: %(status)s.")
                                  % {"status": application.get_status_display()}, code="decided")
        if not approve and not reason:
            raise ValidationError({"reason": [_("Say why the application is rejected: the applicant sees it.")]},
                                  code="reason_required")
        if len(reason) > MAX_TEXT:
            raise ValidationError({"reason": [_("At most %(max)s characters.") % {"max": MAX_TEXT}]})
        if approve and open_dataset.tier != OpenTier.ON_APPLICATION:
            raise ValidationError(_("The dataset is no longer open on application."), code="tier")
        if approve and application.requested_until < china_today():
            raise ValidationError(_("The requested period of use (until %(date)s) has already ended.")
                                  % {"date": application.requested_until.isoformat()}, code="expired")
        now = timezone.now()
        application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        application.decided_by_id = actor.user_id
        application.decided_at = now
        application.decision_reason = reason
        application.expires_at = end_of_day(application.requested_until) if approve else None
        application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "expires_at"])
        ledger_append(
            kind="opendata.application_decided", subject=f"dataset:{open_dataset.resource_code}",
            actor=actor_label(actor),
            payload={
                "application": str(application.public_id), "approved": bool(approve),
                "applicant": f"user:{application.applicant_id}", "organisation": application.organisation,
                "purpose": application.purpose, "agreement_version": application.agreement_version,
                "requested_until": application.requested_until.isoformat(),
                "expires_at": application.expires_at.isoformat() if application.expires_at else None,
                "reason": reason, "department": actor.department_id,
            },
        )
    return application


def application_withdraw(*, applicant_user, application: OpenDataApplication) -> OpenDataApplication:
    """The applicant withdraws an application still awaiting a decision."""
    actor = _applicant_actor(applicant_user)
    with transaction.atomic():
        application = OpenDataApplication.objects.select_for_update().get(pk=application.pk)
        if application.applicant_id != actor.user_id:
            raise PermissionDenied("not your application")
        if application.status != ApplicationStatus.PENDING:
            raise ValidationError(_("Only an application awaiting a decision can be withdrawn."), code="decided")
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status"])
    return application


# --- data requests (数据开放需求) -----------------------------------------------------------------


def _department_id(department) -> int | None:
    if department is None or department == "":
        return None
    if isinstance(department, int):
        return department
    if isinstance(department, str):
        return int(department) if department.isdigit() else None
    return getattr(department, "id", None)


def data_request_submit(*, requester_user, title: str, description: str, department) -> DataRequest:
    """Ask a department to open data. Opens a loop case (kind "opendata_request") assigned to the
    department, about "opendata_request:<public_id>", and keeps its id."""
    actor = _applicant_actor(requester_user)
    title, description = _text(title), _text(description)
    department_id = _department_id(department)
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_("Give the request a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("At most %(max)s characters.") % {"max": MAX_TITLE}]
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = [_("Describe the data and what it is for in at least %(min)s characters.")
                                 % {"min": MIN_DESCRIPTION}]
    elif len(description) > MAX_TEXT:
        errors["description"] = [_("At most %(max)s characters.") % {"max": MAX_TEXT}]
    if department_id is None or department_get(department_id) is None:
        errors["department"] = [_("Choose the department that holds the data.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = DataRequest.objects.create(requester_id=actor.user_id, title=title, description=description,
                                             department_id=department_id)
        case = case_report(actor=actor, kind=OPENDATA_REQUEST.code, title=title, description=description,
                           assignee_department_id=department_id, subject_ref=f"opendata_request:{request.public_id}")
        request.case_id = case.public_id
        request.save(update_fields=["case_id"])
    return request


def may_answer_request(actor: Actor, request: DataRequest) -> bool:
    """The asked department's own staff answer for it."""
    return actor.is_staff_member and actor.department_id == request.department_id


def data_request_accept(*, actor: Actor, request: DataRequest) -> DataRequest:
    """The department takes the request on (受理): the loop moves from "assigned" to "handling" and
    the answer's time starts. Answering accepts too, when this was skipped."""
    if not may_answer_request(actor, request):
        raise PermissionDenied("may not handle this request")
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        case = case_get(actor=actor, public_id=request.case_id)
        if case.state != CaseState.ASSIGNED:
            raise ValidationError(_("The request has already been taken on."), code="accepted")
        case_accept(actor=actor, case=case)
    return request


ANSWER_OUTCOMES = (DataRequestStatus.ANSWERED, DataRequestStatus.OPENED, DataRequestStatus.DECLINED)


def data_request_answer(*, actor: Actor, request: DataRequest, answer: str, outcome: str,
                        dataset: OpenDataset | None = None) -> DataRequest:
    """The department's answer: "answered" (an explanation), "opened" (with the public dataset of
    the department that now holds the data) or "declined" (with the reason). Responds to the loop
    (taking the request on first if it was not) in the same transaction."""
    if not may_answer_request(actor, request):
        raise PermissionDenied("may not answer this request")
    answer = _text(answer)
    errors: dict[str, list] = {}
    if outcome not in ANSWER_OUTCOMES:
        errors["outcome"] = [_("Choose how the request is answered.")]
    if not answer:
        errors["answer"] = [_("Write the answer: the public sees it.")]
    elif len(answer) > MAX_TEXT:
        errors["answer"] = [_("At most %(max)s characters.") % {"max": MAX_TEXT}]
    if outcome == DataRequestStatus.OPENED:
        if dataset is None or not OpenDataset.objects.filter(pk=dataset.pk).exists():
            errors["dataset"] = [_("Name the open dataset that now holds the data.")]
        elif dataset.department_id != request.department_id:
            errors["dataset"] = [_("The dataset must be one of your department's open datasets.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != DataRequestStatus.OPEN:
            raise ValidationError(_("This request is already answered."), code="answered")
        case = case_get(actor=actor, public_id=request.case_id)
        if case.state == CaseState.ASSIGNED:
            case = case_accept(actor=actor, case=case)
        case_respond(actor=actor, case=case, response=answer)
        request.status = outcome
        request.answer = answer
        request.answered_at = timezone.now()
        request.dataset_id = dataset.dataset_id if outcome == DataRequestStatus.OPENED else None
        request.save(update_fields=["status", "answer", "answered_at", "dataset"])
    return request


def data_request_verify(*, requester_user, request: DataRequest, accepted: bool, note: str = "") -> DataRequest:
    """The requester's word on the answer, which closes the loop: accepted, the case is verified and
    closed; sent back (with what is still wrong), it returns to the department, and the request
    is open again, its earlier answer kept in the loop's history."""
    actor = _applicant_actor(requester_user)
    if request.requester_id != actor.user_id:
        raise PermissionDenied("only the requester verifies the answer")
    note = _text(note)
    if not accepted and not note:
        raise ValidationError({"note": [_("Say what is still missing, so the department can answer again.")]})
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": [_("At most %(max)s characters.") % {"max": MAX_TEXT}]})
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in ANSWER_OUTCOMES:
            raise ValidationError(_("The department has not answered this request yet."), code="not_answered")
        case = case_get(actor=actor, public_id=request.case_id)
        if case.state != CaseState.RESPONDED:
            raise ValidationError(_("This answer has already been accepted."), code="verified")
        case = case_verify(actor=actor, case=case, accepted=accepted, note=note)
        if accepted:
            case_close(actor=actor, case=case, note=note)
        else:
            request.status = DataRequestStatus.OPEN
            request.answer = ""
            request.answered_at = None
            request.dataset = None
            request.save(update_fields=["status", "answer", "answered_at", "dataset"])
    return request


# --- showcases (应用展示) -------------------------------------------------------------------------


def showcase_submit(*, submitter_user, title: str, description: str, url: str,
                    resource_codes: list[str] | tuple[str, ...]) -> Showcase:
    """Submit a reuse of open data for review: a title, a description, an https link and the
    public datasets it uses (by resource code; at least one)."""
    actor = _applicant_actor(submitter_user)
    title, description, url = _text(title), _text(description), _text(url)
    codes = list(dict.fromkeys(_text(code).upper() for code in resource_codes if _text(code)))
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_("Give the showcase a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("At most %(max)s characters.") % {"max": MAX_TITLE}]
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = [_("Describe the reuse in at least %(min)s characters.") % {"min": MIN_DESCRIPTION}]
    elif len(description) > MAX_TEXT:
        errors["description"] = [_("At most %(max)s characters.") % {"max": MAX_TEXT}]
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 500 or any(c.isspace() for c in url):
        errors["url"] = [_("Enter a link that starts with https://.")]
    datasets = {od.resource_code: od for od in OpenDataset.objects.filter(resource_code__in=codes)}
    if not codes:
        errors["datasets"] = [_("Name at least one open dataset the reuse uses.")]
    elif len(codes) > MAX_SHOWCASE_DATASETS:
        errors["datasets"] = [_("At most %(max)s datasets.") % {"max": MAX_SHOWCASE_DATASETS}]
    else:
        # A hidden dataset's code gets the same answer as a code that does not exist.
        unknown = [code for code in codes if code not in datasets]
        if unknown:
            errors["datasets"] = [_("There is no open dataset with the resource code %(codes)s.")
                                  % {"codes": "、".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        showcase = Showcase.objects.create(submitter_id=actor.user_id, title=title, description=description, url=url)
        showcase.datasets.set([datasets[code].dataset_id for code in codes])
    return showcase


def may_review_showcase(actor: Actor, showcase: Showcase) -> bool:
    """A big-data administrator whose division covers the departments of all the showcase's
    (still public) datasets; the province's administrators cover every showcase."""
    prefix = bureau_prefix(actor)
    if not prefix:
        return False
    department_ids = set(OpenDataset.objects.filter(dataset_id__in=showcase.datasets.values("id"))
                         .values_list("department_id", flat=True))
    for department_id in department_ids:
        department = department_get(department_id)
        if department is None or not department.division_code.startswith(prefix):
            return False
    return True


def showcase_review(*, actor: Actor, showcase: Showcase, publish: bool) -> Showcase:
    """Publish or reject a showcase awaiting review (a big-data administrator over its datasets).
    A showcase none of whose datasets is public any more cannot be published."""
    with transaction.atomic():
        showcase = Showcase.objects.select_for_update().get(pk=showcase.pk)
        if not may_review_showcase(actor, showcase):
            raise PermissionDenied("may not review this showcase")
        if showcase.status != ShowcaseStatus.PENDING:
            raise ValidationError(_("This showcase is already reviewed: %(status)s.")
                                  % {"status": showcase.get_status_display()}, code="reviewed")
        public = OpenDataset.objects.filter(dataset_id__in=showcase.datasets.values("id")).exists()
        if publish and not public:
            raise ValidationError(_("None of the showcase's datasets is open any more."), code="no_dataset")
        showcase.status = ShowcaseStatus.PUBLISHED if publish else ShowcaseStatus.REJECTED
        showcase.reviewed_by_id = actor.user_id
        showcase.published_at = timezone.now() if publish else None
        showcase.save(update_fields=["status", "reviewed_by", "published_at"])
    return showcase
