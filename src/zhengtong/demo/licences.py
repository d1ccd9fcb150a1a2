"""The demo's electronic licences (电子证照): every department that issues the result of a demo
item gets an e-seal, made by its leader, and its case officers are granted its use (印章保管人);
then each approved demo application whose item yields a licence gets it, in the applicant's
wallet, sealed and recorded in the ledger.

Through the licences' own services (seal_create, seal_keeper_grant, licence_issue), as the people
would. The licence of an approved application is what the applications.concluded handler
(licence_issue_for_application) would issue, with its fields filled in: the handler has no
fields to give, so the demo takes them from the application's answers (the licence types name
their fields after the items' questions) and from the holder's registry record. The handler,
delivered later by the worker, finds the licence issued and changes nothing.

Idempotent like the rest of the demo: a department with an active seal keeps it, a keeper is
granted once, and an application yields one licence.
"""

import sys
from dataclasses import dataclass, field

from django.db import transaction

from zhengtong.kernel.identity.models import Citizen, Company, StaffMember
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Role

from .service_items import DEMO_ITEMS

SYSTEM = Actor(kind="system")

# Licence fields whose value is an answer of another name, or the holder's registry record
# ("holder.<attribute>"); every other field is the answer of the same name.
FIELD_SOURCES: dict[str, dict[str, str]] = {
    "business_licence": {"name": "holder.name", "uscc": "holder.uscc", "address": "premises"},
    "real_estate_certificate": {"owner": "holder.name", "location": "property_address"},
    # 社会保障号码 is the holder's resident ID number.
    "social_security_card": {"name": "holder.name", "card_number": "holder.resident_id"},
}


@dataclass
class DemoLicences:
    seals_made: int = 0
    keepers_granted: int = 0
    issued: int = 0
    skipped: list[str] = field(default_factory=list)


def issuing_departments() -> list[Department]:
    """The departments that implement a demo item whose result is a licence type (each once)."""
    wanted = {(implementation.division, item.department_kind) for item in DEMO_ITEMS if item.result_licence_type
              for implementation in item.implementations}
    departments = []
    for division_code, kind in sorted(wanted):
        department = Department.objects.filter(division__code=division_code, kind=kind).first()
        if department is not None:
            departments.append(department)
    return departments


def _staff(department: Department, role: str) -> list[StaffMember]:
    return list(StaffMember.objects.filter(department=department, positions__role=role)
                .select_related("user").distinct().order_by("id"))


def seals_ensure(result: DemoLicences) -> None:
    """An active e-seal for each issuing department (made by its leader), and its case officers
    who are not leaders granted its use (a leader may use it anyway)."""
    from zhengtong.services.licences.models import SealKeeper
    from zhengtong.services.licences.services import seal_create, seal_for, seal_keeper_grant

    for department in issuing_departments():
        leaders = _staff(department, Role.LEADER)
        if not leaders:
            result.skipped.append(f"{department.name}: 没有负责人，无法制作电子印章 / no leader to make its e-seal")
            continue
        leader = actor_from_user(leaders[0].user)
        seal = seal_for(department.id)
        if seal is None:
            seal = seal_create(actor=leader, department_id=department.id, name=f"{department.name}电子印章")
            result.seals_made += 1
        leader_ids = {member.user_id for member in leaders}
        for officer in _staff(department, Role.CASE_OFFICER):
            if officer.user_id in leader_ids or SealKeeper.objects.filter(seal=seal, user_id=officer.user_id).exists():
                continue
            seal_keeper_grant(actor=leader, seal=seal, user_id=officer.user_id)
            result.keepers_granted += 1


def _choice_labels() -> dict[tuple[str, str], dict[str, str]]:
    """{(item code, question): {choice value: its Chinese label}}, so a licence reads 自主创业, not
    self_employed."""
    labels = {}
    for item in DEMO_ITEMS:
        for question in item.form_fields:
            if question["choices"]:
                labels[(item.code, question["name"])] = {str(value): str(text) for value, text in question["choices"]}
    return labels


def _holder(user_id: int) -> tuple[str, str, str, dict[str, str]] | None:
    """(kind, name, identifier, registry record) of the applicant, as the approval handler names them."""
    citizen = Citizen.objects.filter(user_id=user_id).first()
    if citizen is not None:
        return ("citizen", citizen.name, citizen.resident_id,
                {"name": citizen.name, "resident_id": citizen.resident_id,
                 "birth_date": citizen.birth_date.isoformat(), "address": citizen.address})
    company = Company.objects.filter(user_id=user_id).select_related("legal_representative").first()
    if company is not None:
        return ("company", company.name, company.uscc,
                {"name": company.name, "uscc": company.uscc, "company_name": company.name,
                 "legal_representative": company.legal_representative.name, "address": company.address})
    return None


def licence_fields(licence_type, item_code: str, answers: dict, record: dict[str, str],
                   labels: dict | None = None) -> dict[str, str]:
    """The licence's fields: each from the answer of its name (or FIELD_SOURCES'), a choice shown
    by its label, else from the holder's record; a field found nowhere is left out."""
    labels = _choice_labels() if labels is None else labels
    sources = FIELD_SOURCES.get(licence_type.code, {})
    fields = {}
    for spec in licence_type.schema:
        name = spec["name"]
        source = sources.get(name, name)
        if source.startswith("holder."):
            value = record.get(source.removeprefix("holder."), "")
        else:
            value = str(answers.get(source) or "")
            value = labels.get((item_code, source), {}).get(value, value) or record.get(name, "")
        if value:
            fields[name] = value
    return fields


def licences_ensure(result: DemoLicences) -> None:
    """The licence of every approved application whose item yields one, issued once, as the
    platform issues it on approval (the system actor, with the approving department's seal)."""
    from zhengtong.services.applications.models import Application
    from zhengtong.services.licences.errors import LicenceError
    from zhengtong.services.licences.models import Licence, LicenceType
    from zhengtong.services.licences.services import licence_issue

    types = {t.code: t for t in LicenceType.objects.all()}
    labels = _choice_labels()
    approved = (Application.objects.filter(state="approved").exclude(implementation__result_licence_type="")
                .select_related("implementation", "item").order_by("id"))
    issued = set(Licence.objects.filter(source_application__in=[a.public_id for a in approved])
                 .values_list("source_application", flat=True))
    for application in approved:
        if application.public_id in issued:
            continue
        licence_type = types.get(application.implementation.result_licence_type)
        holder = _holder(application.applicant_user_id)
        if licence_type is None or holder is None:
            continue
        kind, name, identifier, record = holder
        try:
            with transaction.atomic():
                licence_issue(actor=SYSTEM, licence_type=licence_type,
                              department_id=application.implementation.department_id, holder_kind=kind,
                              holder_user_id=application.applicant_user_id, holder_name=name,
                              holder_identifier=identifier,
                              fields=licence_fields(licence_type, application.item.code, application.answers or {},
                                                    record, labels),
                              source_application=application.public_id)
        except LicenceError as error:
            result.skipped.append(f"{application.reference} {licence_type.name}: {error.message}")
            continue
        result.issued += 1


def build_demo_licences() -> DemoLicences:
    """The demo licence types, the issuing departments' seals and keepers, and the licences of the
    approved demo applications; what was made now."""
    from zhengtong.services.licences.services import licence_types_ensure

    result = DemoLicences()
    licence_types_ensure()
    seals_ensure(result)
    licences_ensure(result)
    for skipped in result.skipped:
        print(f"演示证照未签发 / demo licence skipped: {skipped}", file=sys.stderr)
    return result
