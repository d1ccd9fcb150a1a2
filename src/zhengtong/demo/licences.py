"""The demo's electronic licences (电子证照): every department that issues the result of a demo
item gets an e-seal, made by its leader, and its case officers are granted its use (印章保管人);
then each approved demo application whose item yields a licence gets it, in the applicant's
wallet, sealed and recorded in the ledger.

Through the licences' own services (seal_create, seal_keeper_grant, licence_issue_for_application),
as the people would: the licence of an approved application is the one the applications.concluded
handler issues (its fields from the answers and the holder's record), issued here at once so the
demo's wallets are filled without a worker; the handler, delivered later, finds it issued and
changes nothing.

Idempotent like the rest of the demo: a department with an active seal keeps it, a keeper is
granted once, and an application yields one licence.
"""

import sys
from dataclasses import dataclass, field

from django.db import transaction

from zhengtong.kernel.identity.models import StaffMember
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Role

from .service_items import DEMO_ITEMS

SYSTEM = Actor(kind="system")

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


def licences_ensure(result: DemoLicences) -> None:
    """The licence of every approved application whose item yields one, issued once, as the
    applications.concluded handler issues it (licence_issue_for_application: the system actor, the
    approving department's seal, the fields from the answers and the holder's record)."""
    from zhengtong.services.applications.models import Application
    from zhengtong.services.licences.errors import LicenceError
    from zhengtong.services.licences.models import Licence
    from zhengtong.services.licences.services import licence_issue_for_application

    approved = list(Application.objects.filter(state="approved").exclude(implementation__result_licence_type="")
                    .select_related("implementation").order_by("id"))
    issued = set(Licence.objects.filter(source_application__in=[a.public_id for a in approved])
                 .values_list("source_application", flat=True))
    for application in approved:
        if application.public_id in issued:
            continue
        try:
            with transaction.atomic():
                licence = licence_issue_for_application(application_id=application.public_id)
        except LicenceError as error:
            result.skipped.append(f"{application.reference} {application.implementation.result_licence_type}: "
                                  f"{error.message}")
            continue
        if licence is not None:
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
