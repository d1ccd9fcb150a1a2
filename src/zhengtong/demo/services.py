"""The demo's service platform (一网通办): the service items, the one-thing bundles, the guided
finder, the platform's sharing grants, the officers who handle applications, and applications in
every state, so the portal, the officers' queues and the measures page have something to show.

Everything is written through the modules' own services, as the people would write it:
- the platform's API client (applications' `service_platform_client`) asks the departments for
  the data it pre-fills and fetches, in one basket through the exchange's request flow; each
  owning department's data officer approves its item and the big-data bureau approves the
  有条件共享 ones (request_submit / item_decide);
- the province's big-data bureau keeps the catalogue and the finder and publishes the Hangzhou and
  Xihu implementation lists (guide services: item_create, implementation_create,
  implementation_publish, finder_question_save);
- the bundles 开办企业一件事 and 新生儿出生一件事 are made with onething's bundle_create / part_add;
- the applications are started, answered, given their materials, submitted and handled by the
  applicants and the officers through the applications services; one of them is the demo
  citizen's instant item (秒办), decided by its DMN table from the fetched data;
- the issuing departments' e-seals and the approved applications' licences (licences.py), and the
  applicants' reviews of their applications, one bad review put right and one open (reviews.py).

Idempotent like the rest of the demo: each part is built once (whether it exists is checked first),
so `zhengtong demo --if-empty` again changes nothing.

The items themselves (names, bases, time limits, fees, forms, materials) are data, in
service_items.py.
"""

import io
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from zhengtong.kernel.identity.models import AccountKind, Citizen, Company, CompanyKind, StaffMember, User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, DepartmentKind, Role

from .licences import DemoLicences, build_demo_licences
from .province import DEMO_PASSWORD, demo_totp_key, totp_secret_base32
from .reviews import DemoReviews, build_demo_reviews
from .service_items import (
    BIRTH_CERTIFICATE,
    CITIZEN_CENTRE,
    CITY,
    COMPANY_REGISTRATION,
    COMPANY_REGISTRY,
    DEMO_BUNDLES,
    DEMO_FINDER,
    DEMO_ITEMS,
    DISTRICT,
    PERSON_REGISTRY,
    ELDERLY_CARD,
    EMPLOYMENT_CARD,
    FLEXIBLE_INSURANCE,
    FOOD_LICENCE,
    HUKOU_MOVE,
    ID_CARD_RENEWAL,
    LONGEVITY_ALLOWANCE,
    PROPERTY_TRANSFER,
    PUBLIC_RENTAL_HOUSING,
    RESIDENT_PENSION,
    SEAL_ENGRAVING,
    SOCIAL_SECURITY_CARD,
    SOLE_TRADER_DEREGISTRATION,
    TAX_REGISTRATION,
    UNEMPLOYMENT_BENEFIT,
    DemoItem,
    DemoMaterial,
)

SYSTEM = Actor(kind="system")
PORTAL_URL = "http://127.0.0.1:8000/services/"
WORKSPACE_URL = "http://127.0.0.1:8000/workspace/applications/"
# The province's big-data bureau keeps the service catalogue (and signs in as this demo account).
CATALOGUE_KEEPER = "zj.bigdata.admin"
PLATFORM_PURPOSE = "政务服务事项办理（一网通办）：申请表预填和申请材料免提交"
PLATFORM_BASIS = "《浙江省公共数据条例》第二十六条；《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》"


# --- The officers who handle applications -------------------------------------------------------

@dataclass(frozen=True)
class ServiceStaffSpec:
    username: str
    role_label: str
    division_code: str
    department_kind: str
    roles: tuple[str, ...]


# 一窗受理、收办分离: the service centres' windows take applications in; each department's officers
# review and its leaders approve. (hz.amr.officer and hz.hrss.officer of the province's demo staff
# are the market regulator's and the HRSS bureau's case officers.)
SERVICE_STAFF = (
    ServiceStaffSpec("hz.window", "杭州市民中心综合受理窗口", CITY, DepartmentKind.GENERAL_OFFICE,
                     (Role.WINDOW_OFFICER,)),
    ServiceStaffSpec("xh.window", "西湖区行政服务中心综合受理窗口", DISTRICT, DepartmentKind.GENERAL_OFFICE,
                     (Role.WINDOW_OFFICER,)),
    ServiceStaffSpec("hz.amr.leader", "市场监管局审批负责人", CITY, DepartmentKind.MARKET_REGULATION, (Role.LEADER,)),
    ServiceStaffSpec("hz.hrss.leader", "人社局审批负责人", CITY, DepartmentKind.HUMAN_RESOURCES, (Role.LEADER,)),
    ServiceStaffSpec("hz.ga.officer", "公安局户政经办与负责人", CITY, DepartmentKind.PUBLIC_SECURITY,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("hz.mz.officer", "民政局经办与负责人", CITY, DepartmentKind.CIVIL_AFFAIRS,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("hz.wj.officer", "卫生健康局经办与负责人", CITY, DepartmentKind.HEALTH,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("hz.sw.officer", "税务局经办与负责人", CITY, DepartmentKind.TAXATION,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("hz.zj.officer", "住建局（公积金）经办与负责人", CITY, DepartmentKind.HOUSING,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("hz.zr.officer", "自然资源和规划局不动产登记经办与负责人", CITY, DepartmentKind.NATURAL_RESOURCES,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("xh.officer.jy", "西湖区教育局经办与负责人", DISTRICT, DepartmentKind.EDUCATION,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("xh.officer.zj", "西湖区住建局经办与负责人", DISTRICT, DepartmentKind.HOUSING,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("xh.officer.ga", "西湖区公安分局户政经办与负责人", DISTRICT, DepartmentKind.PUBLIC_SECURITY,
                     (Role.CASE_OFFICER, Role.LEADER)),
    ServiceStaffSpec("xh.officer.mz", "西湖区民政局经办与负责人", DISTRICT, DepartmentKind.CIVIL_AFFAIRS,
                     (Role.CASE_OFFICER, Role.LEADER)),
    # Data governance of the platform's grants: the household register's owner, and a second
    # provincial bureau administrator (the bureau's step is never taken by the owner's decider).
    ServiceStaffSpec("hz.ga.data", "公安局数据专员", CITY, DepartmentKind.PUBLIC_SECURITY, (Role.DATA_OFFICER,)),
    ServiceStaffSpec("zj.bigdata.reviewer", "省大数据局共享审核员", "330000", DepartmentKind.BIG_DATA,
                     (Role.BIG_DATA_ADMIN,)),
)

# Hangzhou names for the demo's extra staff (the province's builder names its own from Faker).
STAFF_NAMES = ("周建华", "吴晓燕", "郑国强", "孙丽萍", "钱伟东", "冯雅琴", "陈立新", "褚海燕", "卫志刚", "蒋文静",
               "沈国平", "韩秀英", "杨建军", "朱晓红", "秦志明", "许丽娟")


def service_staff_ensure(*, seed: int) -> int:
    """The service platform's officers (once each); how many were made now."""
    from zhengtong.kernel.identity.services import staff_create

    made = 0
    existing = set(User.objects.filter(username__in=[s.username for s in SERVICE_STAFF])
                   .values_list("username", flat=True))
    for number, spec in enumerate(SERVICE_STAFF):
        if spec.username in existing:
            continue
        department = Department.objects.filter(division__code=spec.division_code, kind=spec.department_kind).first()
        if department is None:
            continue
        staff_create(username=spec.username, name=STAFF_NAMES[number % len(STAFF_NAMES)], department=department,
                     roles=list(spec.roles), password=DEMO_PASSWORD,
                     totp_key=demo_totp_key(seed, spec.username))
        made += 1
    return made


def staff_actor(username: str) -> Actor | None:
    user = User.objects.filter(username=username).first()
    return actor_from_user(user) if user is not None else None


# --- Applicants --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Applicants:
    citizen: Citizen | None  # the demo citizen (the province's demo account)
    company: Company | None  # a Hangzhou company with a login (opens, licenses)
    sole_trader: Company | None  # a Hangzhou 个体工商户 with a login (简易注销), if the province has one
    others: tuple[Citizen, ...]  # Hangzhou citizens whose applications fill the queues


OTHER_APPLICANTS = 3


def _hangzhou_company(kind: str) -> Company | None:
    """The first company of this kind registered in a Hangzhou county, given a login once."""
    with_login = (Company.objects.filter(kind=kind, division__parent__code=CITY, user__isnull=False)
                  .order_by("id").first())
    if with_login is not None:
        return with_login
    company = Company.objects.filter(kind=kind, division__parent__code=CITY, user__isnull=True).order_by("id").first()
    if company is None:
        return None
    company.user = User.objects.create_user(company.uscc, DEMO_PASSWORD, kind=AccountKind.COMPANY,
                                            display_name=company.name)
    company.save(update_fields=["user"])
    return company


@transaction.atomic
def applicants_ensure() -> Applicants:
    """The demo citizen, plus logins for a Hangzhou company, a Hangzhou sole trader and a few
    Hangzhou citizens (adults), made once."""
    from zhengtong.kernel.identity.backends import citizen_login_key

    citizen = Citizen.objects.filter(user__isnull=False).select_related("division").order_by("id").first()
    company = _hangzhou_company(CompanyKind.ENTERPRISE)
    sole_trader = _hangzhou_company(CompanyKind.INDIVIDUAL_BUSINESS)
    adults = Citizen.objects.filter(division__parent__code=CITY, birth_date__lte=date(2000, 1, 1))
    others = list(adults.filter(user__isnull=False).exclude(pk=getattr(citizen, "pk", None)).order_by("id")
                  [:OTHER_APPLICANTS])
    if len(others) < OTHER_APPLICANTS:
        for person in adults.filter(user__isnull=True).order_by("id")[:OTHER_APPLICANTS - len(others)]:
            person.user = User.objects.create_user(citizen_login_key(person.resident_id), DEMO_PASSWORD,
                                                   kind=AccountKind.CITIZEN, display_name=person.name)
            person.save(update_fields=["user"])
            others.append(person)
    return Applicants(citizen, company, sole_trader, tuple(others))


# --- The platform's sharing grants -------------------------------------------------------------

def sharing_service_code(source_ref: str) -> str | None:
    """The code of the sharing service a material is fetched from: a registry code as it is, or
    the Hangzhou dataset named by "dataset:<title>"; None when the directory has no such service."""
    from zhengtong.data.exchange.models import SharingService

    if not source_ref.startswith("dataset:"):
        return source_ref if SharingService.objects.filter(code=source_ref, is_active=True).exists() else None
    title = source_ref.removeprefix("dataset:")
    service = (SharingService.objects.filter(dataset__title=title, owner_department__division__code=CITY,
                                             is_active=True).order_by("code").first())
    return service.code if service is not None else None


def platform_services() -> list[str]:
    """The sharing services the demo items fetch from (registries for pre-fill, datasets for materials)."""
    refs = {PERSON_REGISTRY, COMPANY_REGISTRY}
    for item in DEMO_ITEMS:
        refs.update(m.source_ref for m in item.materials if m.source == "shared")
    codes = [sharing_service_code(ref) for ref in sorted(refs)]
    return sorted({code for code in codes if code})


def _deciders(service) -> tuple[Actor | None, Actor | None]:
    """(the owner's data officer, a bureau administrator over it who is not that officer)."""
    owner = (StaffMember.objects.filter(department=service.owner_department,
                                        positions__role__in=[Role.DATA_OFFICER, Role.BIG_DATA_ADMIN])
             .select_related("user").order_by("id").first())
    owner_actor = actor_from_user(owner.user) if owner else None
    from zhengtong.data.exchange.permissions import is_bureau_over

    prefix = service.owner_department.division.code
    bureau = None
    for member in (StaffMember.objects.filter(positions__role=Role.BIG_DATA_ADMIN)
                   .select_related("user", "department__division").order_by("id")):
        actor = actor_from_user(member.user)
        if is_bureau_over(actor, prefix) and (owner is None or member.pk != owner.pk):
            bureau = actor
            break
    return owner_actor, bureau


def platform_grants_ensure() -> dict[str, str]:
    """The service platform asks (once) for every service its items fetch from, every field, the
    registries' in clear (pre-fill shows applicants their own values), every row; each owner
    approves and the bureau approves the conditional ones. Returns {service code: item status}."""
    from zhengtong.data.exchange.models import ItemStatus, RequestItem, SharingService
    from zhengtong.data.exchange.services import ItemSpec, item_decide, request_submit
    from zhengtong.services.applications.evidence import service_platform_client

    client = service_platform_client()
    wanted = platform_services()
    asked = set(RequestItem.objects.filter(request__api_client=client).values_list("service__code", flat=True))
    missing = [code for code in wanted if code not in asked]
    if missing:
        services = {s.code: s for s in SharingService.objects.filter(code__in=missing)}
        specs = []
        for code in missing:
            names = tuple(f["name"] for f in services[code].fields)
            clear = names if services[code].kind == "registry" else ()
            specs.append(ItemSpec(code, names, clear, "*" if services[code].division_field else ""))
        request = request_submit(
            actor=SYSTEM, consumer_department_id=client.department_id, api_client_id=client.id,
            purpose=PLATFORM_PURPOSE, legal_basis=PLATFORM_BASIS,
            expires_on=timezone.localdate() + timedelta(days=3 * 365 - 2), items=specs,
        )
        for item in request.items.select_related("service__owner_department__division").order_by("id"):
            owner, bureau = _deciders(item.service)
            if owner is None:
                continue
            item = item_decide(actor=owner, item_id=item.public_id, approve=True,
                               note="同意共享，限用于政务服务事项办理")
            if item.status == ItemStatus.PENDING_BUREAU and bureau is not None:
                item_decide(actor=bureau, item_id=item.public_id, approve=True, note="同意，按最小必要原则使用")
    statuses = dict(RequestItem.objects.filter(request__api_client=client).values_list("service__code", "status"))
    return {code: statuses.get(code, "not asked") for code in wanted}


# --- The catalogue ---------------------------------------------------------------------------

def _material_row(material: DemoMaterial) -> dict:
    """A material as the guide's services take it; a shared source resolved to its service code
    (uploaded instead when the directory has no such service)."""
    source, source_ref, types = material.source, material.source_ref, list(material.accepted_types)
    if source == "shared":
        code = sharing_service_code(source_ref)
        if code is None:
            print(f"共享服务 {source_ref} 不存在，材料“{material.name}”改为上传 / not in the directory: upload",
                  file=sys.stderr)
            source, source_ref, types = "upload", "", ["pdf", "jpg", "png"]
        else:
            source_ref = code
    return {"code": material.code, "name": material.name, "copies": material.copies, "basis": material.basis,
            "form": material.form, "required": material.required, "source": source, "source_ref": source_ref,
            "accepted_types": types, "max_bytes": material.max_bytes}


def _implementation_data(item: DemoItem, division_code: str, *, place: str, conditions: str,
                         promised_days: int | None) -> dict:
    department = Department.objects.get(division__code=division_code, kind=item.department_kind)
    return {
        "department": department.code,
        "conditions": conditions or item.conditions,
        "legal_days": item.legal_days,
        "promised_days": promised_days if promised_days is not None else item.promised_days,
        "fees": list(item.fees),
        "result_name": item.result_name,
        "result_licence_type": item.result_licence_type,
        "visits": item.visits,
        "online": item.online,
        "mobile": item.mobile,
        "instant": item.instant,
        "process": item.process,
        "decision": item.decision,
        "form_fields": list(item.form_fields),
        "place": place or f"{CITIZEN_CENTRE}（{department.name}）",
        "hours": item.hours,
        "consultation": f"{department.name} 0571-12345（政务服务热线）",
        "complaints": "12345政务服务便民热线；浙江政务服务网“好差评”",
        "special_steps": item.special_steps,
    }



def catalogue_ensure(*, actor: Actor) -> int:
    """Every demo item, its implementation lists (published) and materials, through the guide's
    services; the items made now. Items already in the catalogue are left as they are."""
    from zhengtong.services.guide.models import ServiceItem
    from zhengtong.services.guide.services import implementation_create, implementation_publish, item_create

    made = 0
    existing = set(ServiceItem.objects.filter(code__in=[i.code for i in DEMO_ITEMS]).values_list("code", flat=True))
    # DEMO_ITEMS lists an item before those that use what it produces (the guide checks the producer exists).
    for item in DEMO_ITEMS:
        if item.code in existing:
            continue
        with transaction.atomic():
            item_create(actor=actor, data={
                "code": item.code, "name": item.name, "item_type": item.item_type,
                "competent_department_kind": item.department_kind, "basis": item.basis,
                "handling_kind": item.handling_kind, "serving": item.serving, "theme": item.theme,
                "keywords": list(item.keywords),
            })
            for implementation in item.implementations:
                made_implementation = implementation_create(
                    actor=actor, item_code=item.code, division_code=implementation.division,
                    data=_implementation_data(item, implementation.division, place=implementation.place,
                                              conditions=implementation.conditions,
                                              promised_days=implementation.promised_days),
                    materials=[_material_row(m) for m in item.materials],
                )
                implementation_publish(actor=actor, public_id=made_implementation.public_id)
        made += 1
    return made


def finder_ensure(*, actor: Actor) -> int:
    """The guided finder's questions (the ones answers lead to first, so each `next` exists)."""
    from zhengtong.services.guide.models import FinderQuestion
    from zhengtong.services.guide.services import finder_question_save

    if FinderQuestion.objects.filter(code__in=[q.code for q in DEMO_FINDER]).exists():
        return 0
    ordered = list(reversed(DEMO_FINDER))
    for position, question in enumerate(ordered):
        finder_question_save(actor=actor, code=question.code, text=question.text, answers=list(question.answers),
                             is_start=question.is_start, position=len(ordered) - 1 - position)
    return len(ordered)


# --- The one-thing bundles ---------------------------------------------------------------------

def bundles_ensure(*, actor: Actor = SYSTEM) -> int:
    """开办企业一件事 and 新生儿出生一件事, offered at Hangzhou, published (onething's bundle_create);
    the bundles made now."""
    from zhengtong.services.onething.models import Bundle
    from zhengtong.services.onething.services import PartSpec, bundle_create

    made = 0
    existing = set(Bundle.objects.filter(code__in=[b.code for b in DEMO_BUNDLES]).values_list("code", flat=True))
    for bundle in DEMO_BUNDLES:
        if bundle.code in existing:
            continue
        bundle_create(actor=actor, code=bundle.code, name=bundle.name, serving=bundle.serving,
                      division_code=bundle.division, result_name=bundle.result_name, description=bundle.description,
                      parts=[PartSpec(part.item_code, dict(part.field_map)) for part in bundle.parts], publish=True)
        made += 1
    return made


def demo_bundle_apply(*, actor: Actor, bundle_code: str, answers: dict[str, str], key: str):
    """A bundle application as the applicant makes it: the merged form answered once, each fetched
    material looked at and accepted, each upload given once, every part submitted together."""
    from django.core.exceptions import ValidationError

    from zhengtong.services.onething import services as onething

    draft = onething.bundle_draft_start(actor=actor, bundle_code=bundle_code)
    merged = onething.bundle_form_of(draft)
    typed = {}
    for question in merged.fields:
        if question.field.prefill and question.field.required and not (draft.answers or {}).get(question.name):
            typed[question.name] = _own_record(actor, question.field.prefill)
    answers = {**{k: v for k, v in typed.items() if v}, **answers}
    missing = {k: v for k, v in answers.items() if not (draft.answers or {}).get(k)}
    if missing:
        onething.bundle_draft_answer(actor=actor, bundle_application_id=draft.public_id, answers=missing)
    for material in onething.bundle_form_of(draft).materials:
        if not material.asked:
            continue  # produced by another part of the bundle
        if material.fetched:
            try:
                onething.bundle_material_preview(actor=actor, bundle_application_id=draft.public_id,
                                                 material_key=material.key)
                onething.bundle_material_accept(actor=actor, bundle_application_id=draft.public_id,
                                                material_key=material.key)
                continue
            except ValidationError:
                if not material.required:
                    continue
        onething.bundle_material_upload(actor=actor, bundle_application_id=draft.public_id,
                                        material_key=material.key, upload=demo_upload(material))
    return onething.bundle_application_submit(actor=actor, bundle_application_id=draft.public_id,
                                              idempotency_key=key)


def bundle_part_applications(bundle_application) -> dict[str, object]:
    """{item code: Application} of a submitted bundle application."""
    return {row.part.item.code: row.application
            for row in bundle_application.parts.select_related("part__item", "application")}


# --- Applications in every state ----------------------------------------------------------------

def _png() -> bytes:
    """A valid 1x1 white PNG (a photo upload: its content is what the upload check reads)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def _pdf(title: str) -> bytes:
    """A one-page PDF naming the document (a scanned document stands in for the real one)."""
    text = title.encode("unicode_escape").decode("ascii").replace("\\", "\\\\")
    stream = f"BT /F1 12 Tf 72 720 Td (Demo document: {text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def demo_upload(material) -> "SimpleUploadedFile":
    """A file of a type the material accepts (PDF, else PNG), named after it (a guide MaterialRef
    or a bundle's merged material)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = getattr(material, "code", None) or material.key
    types = list(material.accepted_types) or ["pdf"]
    if "pdf" in types:
        return SimpleUploadedFile(f"{name}.pdf", _pdf(name), content_type="application/pdf")
    return SimpleUploadedFile(f"{name}.png", _png(), content_type="image/png")


def applicant_actor(person) -> Actor:
    return actor_from_user(User.objects.get(pk=person.user_id))


def _division_of(person) -> str:
    return person.division.code


def demo_apply(*, actor: Actor, item_code: str, division_code: str, answers: dict[str, str], key: str,
               channel: str = "web", submit: bool = True):
    """An application as the applicant makes it on the portal: start (pre-filled), answer what is
    left, look at each fetched material and accept it (upload it when nothing can be fetched),
    upload the rest, submit with an idempotency key. Returns the Application."""
    from django.core.exceptions import ValidationError

    from zhengtong.services.applications import services as applications
    from zhengtong.services.guide.public import implementation_for

    implementation = implementation_for(item_code=item_code, division_code=division_code)
    if implementation is None:
        raise LookupError(f"no published implementation of {item_code} for {division_code}")
    draft = applications.draft_start(actor=actor, implementation_id=implementation.public_id, channel=channel)
    answers = {**_typed_in(actor, implementation, draft.answers or {}), **answers}
    missing = {k: v for k, v in answers.items() if not (draft.answers or {}).get(k)}
    if missing:
        applications.draft_answer(actor=actor, application_id=draft.public_id, answers=missing)
    for material in implementation.materials:
        if material.source in ("shared", "licence"):
            try:
                applications.material_preview(actor=actor, application_id=draft.public_id,
                                              material_code=material.code)
                applications.material_accept(actor=actor, application_id=draft.public_id,
                                             material_code=material.code)
                continue
            except ValidationError:
                if not material.required:
                    continue
        applications.material_upload(actor=actor, application_id=draft.public_id, material_code=material.code,
                                     upload=demo_upload(material))
    if not submit:
        return draft
    return applications.application_submit(actor=actor, application_id=draft.public_id, idempotency_key=key)


def _own_record(actor: Actor, prefill: str) -> str:
    """What the applicant types for a pre-filled question the registry could not answer (the
    demo's registries carry the departments' dirt: a missing address, a landline for a mobile)."""
    subject, _dot, attribute = prefill.partition(".")
    if subject == "person":
        person = None
        if actor.citizen_id:
            person = Citizen.objects.select_related("division").get(pk=actor.citizen_id)
        elif actor.company_id:
            person = Company.objects.select_related("legal_representative__division").get(
                pk=actor.company_id).legal_representative
        if person is None:
            return ""
        values = {"name": person.name, "resident_id": person.resident_id, "birth_date": person.birth_date.isoformat(),
                  "gender": person.gender, "mobile": person.mobile, "address": person.address,
                  "division_code": person.division.code}
        return values.get(attribute, "") or ""
    if subject == "company" and actor.company_id:
        company = Company.objects.select_related("division", "legal_representative").get(pk=actor.company_id)
        values = {"uscc": company.uscc, "name": company.name, "legal_representative": company.legal_representative.name,
                  "established_on": company.registered_on.isoformat(), "address": company.address,
                  "division_code": company.division.code}
        return values.get(attribute, "") or ""
    return ""


def _typed_in(actor: Actor, implementation, prefilled: dict) -> dict[str, str]:
    """Answers for the required pre-filled questions left empty, from the applicant's own record."""
    typed = {}
    for question in implementation.form_fields:
        if question.prefill and question.required and not prefilled.get(question.name):
            value = _own_record(actor, question.prefill)
            if value:
                typed[question.name] = value
    return typed


def demo_instant(*, actor: Actor, implementation, key: str, channel: str = "web"):
    """An instant item applied for in one step (zero fields to fill); when the registry could not
    pre-fill a required question, the applicant types it from their own record and submits again."""
    from django.core.exceptions import ValidationError

    from zhengtong.services.applications import services as applications

    try:
        return applications.application_start_submitted(actor=actor, implementation_id=implementation.public_id,
                                                         answers={}, idempotency_key=key, channel=channel)
    except ValidationError as error:
        names = {question.name for question in implementation.form_fields}
        if not hasattr(error, "error_dict") or not set(error.error_dict) <= names:
            raise
        typed = {name: _own_record(actor, question.prefill) for question in implementation.form_fields
                 for name in [question.name] if name in error.error_dict and question.prefill}
        return applications.application_start_submitted(actor=actor, implementation_id=implementation.public_id,
                                                         answers={k: v for k, v in typed.items() if v},
                                                         idempotency_key=key, channel=channel)


def demo_act(application, outcome: str, note: str = "") -> bool:
    """The officer whose queue holds the application's open task completes it; False when the
    demo has nobody of that department and role."""
    from zhengtong.services.applications import services as applications
    from zhengtong.services.applications.models import ApplicationTask

    task = (ApplicationTask.objects.filter(application=application, state="open").exclude(role="applicant")
            .order_by("created_at", "id").first())
    if task is None:
        return False
    officer = (StaffMember.objects.filter(department_id=task.department_id, positions__role=task.role)
               .select_related("user").order_by("id").first())
    if officer is None:
        return False
    applications.task_act(actor=actor_from_user(officer.user), task_id=task.public_id, outcome=outcome, note=note)
    return True


def instant_item_for(citizen: Citizen) -> list[str]:
    """The instant items the citizen qualifies for by age (the DMN tables decide the rest)."""
    today = timezone.localdate()
    age = today.year - citizen.birth_date.year - ((today.month, today.day) < (citizen.birth_date.month,
                                                                             citizen.birth_date.day))
    if age >= 80:
        return [ELDERLY_CARD, LONGEVITY_ALLOWANCE]
    if age >= 60:
        return [ELDERLY_CARD]
    return [FLEXIBLE_INSURANCE]


@dataclass
class DemoApplications:
    made: int = 0
    bundles: int = 0
    skipped: list[str] = field(default_factory=list)

    def step(self, label: str, func: Callable[[], object]):
        """One scripted step; a step the demo cannot take (a missing officer, data the province
        happens not to have) is reported and skipped, not fatal."""
        from django.core.exceptions import ValidationError

        try:
            return func()
        except (ValidationError, LookupError) as error:
            self.skipped.append(f"{label}: {error}")
            return None

    def apply(self, label: str, func: Callable[[], object]):
        """A step that makes an application; counted when it does."""
        application = self.step(label, func)
        if application is not None:
            self.made += 1
        return application


def _citizen_applications(result: DemoApplications, citizen: Citizen) -> None:
    """The demo citizen's: instant item(s) approved by their DMN table from the fetched data (秒办),
    one waiting at the window, one sent back for correction (补正), a draft saved half-way."""
    from zhengtong.services.guide.public import implementation_for

    me = applicant_actor(citizen)
    home = _division_of(citizen)
    for number, code in enumerate(instant_item_for(citizen)):
        implementation = implementation_for(item_code=code, division_code=home)
        if implementation is not None:
            result.apply(code, lambda: demo_instant(actor=me, implementation=implementation,
                                                    key=f"demo-instant-{number}", channel="mobile" if number else "web"))
    result.apply(EMPLOYMENT_CARD, lambda: demo_apply(
        actor=me, item_code=EMPLOYMENT_CARD, division_code=home, answers={"employment_status": "self_employed"},
        key="demo-employment-card"))
    renewal = result.apply(ID_CARD_RENEWAL, lambda: demo_apply(
        actor=me, item_code=ID_CARD_RENEWAL, division_code=home, answers={"collect": "post"}, key="demo-id-card"))
    if renewal is not None:
        result.step("intake", lambda: demo_act(renewal, "approve"))
        result.step("review", lambda: demo_act(renewal, "correct",
                                               "数码照片回执不清晰，请重新拍摄后上传（照片回执号需完整可见）。"))
    result.step(PUBLIC_RENTAL_HOUSING, lambda: demo_apply(
        actor=me, item_code=PUBLIC_RENTAL_HOUSING, division_code=home, answers={"household_size": "3"}, key="",
        submit=False))


def _queue_applications(result: DemoApplications, others: list[Citizen]) -> None:
    """Other Hangzhou citizens' applications at every step, so the queues and measures have rows:
    one under review, approved and rejected ones, one 办结 after three steps, one at the window."""
    if len(others) >= 1:
        first = others[0]
        actor = applicant_actor(first)
        benefit = result.apply(UNEMPLOYMENT_BENEFIT, lambda: demo_apply(
            actor=actor, item_code=UNEMPLOYMENT_BENEFIT, division_code=_division_of(first),
            answers={"unemployed_since": (timezone.localdate() - timedelta(days=20)).isoformat(),
                     "reason": "contract_end", "bank_account": "6222021202003456789"}, key="demo-unemployment"))
        if benefit is not None:
            result.step("intake", lambda: demo_act(benefit, "approve"))  # now at the HRSS bureau's review
        for number, code in enumerate(instant_item_for(first)):
            result.apply(code, lambda: demo_apply(actor=actor, item_code=code, division_code=_division_of(first),
                                                  answers={}, key=f"demo-instant-{number}", channel="mobile"))
    if len(others) >= 2:
        second = others[1]
        actor = applicant_actor(second)
        card = result.apply(SOCIAL_SECURITY_CARD, lambda: demo_apply(
            actor=actor, item_code=SOCIAL_SECURITY_CARD, division_code=_division_of(second),
            answers={"card_holder_name": second.name, "delivery_address": second.address}, key="demo-card"))
        if card is not None:
            result.step("intake", lambda: demo_act(card, "approve"))
            result.step("decide", lambda: demo_act(card, "approve"))
        pension = result.apply(RESIDENT_PENSION, lambda: demo_apply(
            actor=actor, item_code=RESIDENT_PENSION, division_code=_division_of(second),
            answers={"contribution_grade": "500"}, key="demo-pension"))
        if pension is not None:
            result.step("intake", lambda: demo_act(pension, "approve"))
            result.step("decide", lambda: demo_act(
                pension, "reject", "经核查，申请人已参加职工基本养老保险，不能重复参加城乡居民基本养老保险。"))
    if len(others) >= 3:
        third = others[2]
        actor = applicant_actor(third)
        transfer = result.apply(PROPERTY_TRANSFER, lambda: demo_apply(
            actor=actor, item_code=PROPERTY_TRANSFER, division_code=_division_of(third),
            answers={"property_address": "浙江省杭州市西湖区文三路90号3幢2单元501室",
                     "certificate_number": "浙(2019)杭州市不动产权第0123456号", "area": "89.46", "price": "320"},
            key="demo-transfer", channel="counter"))
        if transfer is not None:
            for _step_name in ("window", "review", "approval"):  # 办结 after three steps
                result.step("transfer", lambda: demo_act(transfer, "approve"))
        result.apply(HUKOU_MOVE, lambda: demo_apply(
            actor=actor, item_code=HUKOU_MOVE, division_code=_division_of(third),
            answers={"new_address": "浙江省杭州市西湖区文一路115号5幢1单元302室", "new_division": "330106",
                     "relation": "child"}, key="demo-hukou"))


def _company_applications(result: DemoApplications, company: Company) -> None:
    """The Hangzhou company's: a food licence in its parallel reviews, and 开办企业一件事 whose
    departments handle their parts in parallel (registration and the seal done, tax under way)."""
    actor = applicant_actor(company)
    food = result.apply(FOOD_LICENCE, lambda: demo_apply(
        actor=actor, item_code=FOOD_LICENCE, division_code=_division_of(company),
        answers={"premises": company.address, "category": "catering", "area": "120"}, key="demo-food"))
    if food is not None:
        result.step("intake", lambda: demo_act(food, "approve"))  # two reviews now run in parallel
        result.step("review", lambda: demo_act(food, "approve"))
    opening = result.step("company-opening", lambda: demo_bundle_apply(
        actor=actor, bundle_code="company-opening", key="demo-company-opening", answers={
            "new_company_name": "杭州云栖数智科技有限公司", "registered_capital": "100",
            "business_scope": "一般项目：技术服务、技术开发、技术咨询；软件开发；数据处理服务。",
            "premises": company.address, "seal_set": "first_set", "taxpayer_kind": "small_scale",
            "accountant": company.legal_representative.name, "employees": "8", "contribution_rate": "12"}))
    if opening is None:
        return
    result.bundles += 1
    parts = bundle_part_applications(opening)
    for code in (COMPANY_REGISTRATION, SEAL_ENGRAVING):
        if code in parts:
            result.step("intake", lambda: demo_act(parts[code], "approve"))
            result.step("decide", lambda: demo_act(parts[code], "approve"))
    if TAX_REGISTRATION in parts:  # taken in at the window; the tax bureau has it now
        result.step("intake", lambda: demo_act(parts[TAX_REGISTRATION], "approve"))


def _newborn_application(result: DemoApplications, parent: Citizen, other_parent: Citizen) -> None:
    """新生儿出生一件事 for a baby born 12 days ago; the birth certificate taken in at the window."""
    born = timezone.localdate() - timedelta(days=12)
    newborn = result.step("newborn", lambda: demo_bundle_apply(
        actor=applicant_actor(parent), bundle_code="newborn", key="demo-newborn", answers={
            "baby_name": parent.name[0] + "小满", "baby_gender": "female", "baby_birth_date": born.isoformat(),
            "hospital": "浙江大学医学院附属妇产科医院", "other_parent_id": other_parent.resident_id,
            "delivery_address": parent.address}))
    if newborn is None:
        return
    result.bundles += 1
    parts = bundle_part_applications(newborn)
    if BIRTH_CERTIFICATE in parts:
        result.step("intake", lambda: demo_act(parts[BIRTH_CERTIFICATE], "approve"))


def _sole_trader_application(result: DemoApplications, trader: Company) -> None:
    """The sole trader's 简易注销: instant, decided from the market register (kind 个体工商户)."""
    from zhengtong.services.guide.public import implementation_for

    implementation = implementation_for(item_code=SOLE_TRADER_DEREGISTRATION, division_code=_division_of(trader))
    if implementation is not None:
        result.apply(SOLE_TRADER_DEREGISTRATION, lambda: demo_instant(
            actor=applicant_actor(trader), implementation=implementation, key="demo-deregistration"))


def applications_ensure(applicants: Applicants) -> DemoApplications:
    """Applications in every state, made once (the demo citizen's "demo-" keys mark it), through
    the applicants' and the officers' services."""
    from zhengtong.services.applications.models import Application

    result = DemoApplications()
    citizen = applicants.citizen
    if citizen is None or citizen.user_id is None:
        return result
    if Application.objects.filter(applicant_user_id=citizen.user_id, idempotency_key__startswith="demo-").exists():
        return result
    _citizen_applications(result, citizen)
    others = list(applicants.others)
    _queue_applications(result, others)
    if applicants.company is not None:
        _company_applications(result, applicants.company)
    if len(others) >= 2:
        _newborn_application(result, others[0], others[1])
    if applicants.sole_trader is not None:
        _sole_trader_application(result, applicants.sole_trader)
    return result


# --- The whole service platform ---------------------------------------------------------------

@dataclass
class DemoServicePlatform:
    staff_made: int = 0
    items_made: int = 0
    finder_questions: int = 0
    bundles_made: int = 0
    grants: dict[str, str] = field(default_factory=dict)
    applications: DemoApplications = field(default_factory=DemoApplications)
    applicants: Applicants | None = None
    licences: DemoLicences | None = None
    reviews: DemoReviews | None = None


def _applicant_user_ids(applicants: Applicants) -> list[int]:
    people = [applicants.citizen, applicants.company, applicants.sole_trader, *applicants.others]
    return [person.user_id for person in people if person is not None and person.user_id is not None]


def build_demo_services(*, seed: int = 1) -> DemoServicePlatform:
    """Build (once) the demo's service platform; what was made. Needs the demo province, its
    datasets and registries (the sharing directory is synchronised by the exchange's demo)."""
    from django.conf import settings

    built = DemoServicePlatform()
    if not Department.objects.filter(division__code=CITY).exists():
        return built
    keeper = staff_actor(CATALOGUE_KEEPER)
    if keeper is None:
        return built
    built.staff_made = service_staff_ensure(seed=seed)
    built.grants = platform_grants_ensure()
    built.items_made = catalogue_ensure(actor=keeper)
    built.finder_questions = finder_ensure(actor=keeper)
    built.bundles_made = bundles_ensure()
    built.applicants = applicants_ensure()
    # The demo's notices stay in-app: no console copies of e-mails and text messages for them.
    saved = getattr(settings, "NOTICE_ADAPTERS", None)
    settings.NOTICE_ADAPTERS = ()
    try:
        built.applications = applications_ensure(built.applicants)
        # The approved applications' licences, sealed by the departments' new e-seals (电子证照),
        # then the applicants' reviews of their applications (好差评).
        built.licences = build_demo_licences()
        built.reviews = build_demo_reviews(_applicant_user_ids(built.applicants))
    finally:
        if saved is None:
            del settings.NOTICE_ADAPTERS
        else:
            settings.NOTICE_ADAPTERS = saved
    for skipped in built.applications.skipped:
        print(f"演示办件未完成 / demo application step skipped: {skipped}", file=sys.stderr)
    return built


def service_accounts() -> list[tuple[str, str, str, str]]:
    """(role, login, name, where + TOTP secret) of the service platform's demo accounts."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    rows = []
    members = {m.user.username: m for m in StaffMember.objects.filter(
        user__username__in=[s.username for s in SERVICE_STAFF]).select_related("user", "department")}
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__username__in=list(members))}
    for spec in SERVICE_STAFF:
        member = members.get(spec.username)
        if member is not None and member.user_id in devices:
            rows.append((spec.role_label, spec.username, member.name,
                         f"{member.department.name}  TOTP secret {totp_secret_base32(devices[member.user_id].key)}"))
    return rows


def print_demo_services(stdout, *, seed: int = 1) -> None:
    """Build, then print where to look and who signs in."""
    built = build_demo_services(seed=seed)
    from zhengtong.services.applications.models import Application
    from zhengtong.services.guide.models import ItemImplementation
    from zhengtong.services.onething.models import Bundle

    items = ItemImplementation.objects.filter(item__code__in=[i.code for i in DEMO_ITEMS], status="published")
    if not items.exists():
        return
    stdout.write("")
    stdout.write(f"一网通办 / Service platform: {PORTAL_URL}  （{items.values('item').distinct().count()} 个事项、"
                 f"{items.count()} 份实施清单、{Bundle.objects.filter(is_published=True).count()} 个“一件事”、"
                 f"{Application.objects.exclude(state='draft').count()} 件办件 / items, implementation lists, "
                 "bundles, applications）")
    stdout.write(f"  智能导服 Finder: {PORTAL_URL}finder/   一件事 Bundles: {PORTAL_URL}onething/   "
                 f"我的办件 My applications: {PORTAL_URL}my/")
    applicants = built.applicants or applicants_ensure()
    citizen = applicants.citizen
    if citizen is not None:
        approved = (Application.objects.filter(applicant_user_id=citizen.user_id, instant=True, state="approved")
                    .select_related("item").order_by("id"))
        for application in approved:
            stdout.write(f"  秒办 Instant: 市民 {citizen.name} 的“{application.item.name}”已自动办结 "
                         f"（{application.reference}）/ approved by its decision table")
    from zhengtong.services.licences.models import Licence
    from zhengtong.services.reviews.models import Review

    stdout.write(f"  电子证照 Licences: {PORTAL_URL}licences/ （{Licence.objects.count()} 张 / issued）  "
                 f"亮证核验 Verify: {PORTAL_URL}licences/verify/   发证工作台 Issued: {PORTAL_URL}licences/workspace/")
    stdout.write(f"  好差评 Reviews: {PORTAL_URL}reviews/statistics/ （{Review.objects.count()} 条评价，"
                 f"{Review.objects.filter(loop_open=True).count()} 条差评整改中 / reviews, bad reviews open）  "
                 f"差评整改 Bad reviews: {PORTAL_URL}reviews/workspace/")
    for label, company in (("企业 company", applicants.company), ("个体工商户 sole trader", applicants.sole_trader)):
        if company is not None:
            where = f"{company.division.parent.name}{company.division.name}"
            stdout.write(f"  {label:<22} {company.uscc:<20} {company.name}（{where}）")
    stdout.write(f"  办件工作台 Officers' workspace: {WORKSPACE_URL}  (password 密码: {DEMO_PASSWORD})")
    for role, login, name, where in service_accounts():
        stdout.write(f"  {role:<22} {login:<20} {name}（{where}）")
