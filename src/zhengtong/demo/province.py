"""The demo province: a deterministic synthetic Zhejiang.

Real divisions (GB/T 2260) and the standard departments at every province, city and county level;
synthetic persons whose resident IDs agree with their birth date, gender and county; companies with
valid unified social credit codes and a legal representative; demo staff in named departments.
The same seed always builds the same province.
"""

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from faker import Faker
from tqdm import tqdm

from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengtong.kernel.identity.models import AccountKind, Citizen, Company, CompanyKind, Gender, StaffMember, User
from zhengtong.kernel.identity.backends import citizen_login_key
from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.identity.services import staff_create
from zhengtong.kernel.ids.public import (
    organization_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)
from zhengtong.kernel.loops.public import case_accept, case_report, case_respond
from zhengtong.kernel.org.models import Department, DepartmentKind, Division, DivisionLevel, Role
from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

PERSONS_PER_SCALE = 1000
COMPANIES_PER_SCALE = 100
BATCH_SIZE = 5000
DEMO_PASSWORD = "zhengtong-demo-2026"

# Road-name stems common across Zhejiang's towns; combined with the real township, county and city.
ROAD_STEMS = (
    "人民", "解放", "建设", "中山", "文化", "新华", "和平", "青年", "学院", "体育", "环城", "滨江",
    "湖滨", "江南", "世纪", "科技", "创业", "振兴", "光明", "东湖", "南山", "北山", "凤凰", "丰收",
    "健康", "幸福", "长安", "兴业", "朝阳", "明珠", "金沙", "银湖", "春晖", "秋涛", "钱江", "运河",
    "天目", "之江", "望江", "府前",
)
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186",
                   "187", "188", "189", "191", "198", "199")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    login: str
    name: str
    where: str
    totp_secret: str | None = None


@dataclass
class DemoProvince:
    persons: int = 0
    companies: int = 0
    departments: int = 0
    divisions: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


@dataclass(frozen=True)
class DemoStaffSpec:
    username: str
    role_label: str
    division_code: str
    department_kind: str
    roles: tuple[str, ...]


# Officers of two departments, a data officer, a big-data-bureau admin and a leader.
DEMO_STAFF = (
    DemoStaffSpec("hz.amr.officer", "市场监管局窗口与经办人员", "330100", DepartmentKind.MARKET_REGULATION,
                  (Role.WINDOW_OFFICER, Role.CASE_OFFICER)),
    DemoStaffSpec("hz.hrss.officer", "人社局经办人员", "330100", DepartmentKind.HUMAN_RESOURCES,
                  (Role.CASE_OFFICER,)),
    DemoStaffSpec("hz.amr.data", "市场监管局数据专员", "330100", DepartmentKind.MARKET_REGULATION,
                  (Role.DATA_OFFICER,)),
    DemoStaffSpec("hz.hrss.data", "人社局数据专员", "330100", DepartmentKind.HUMAN_RESOURCES,
                  (Role.DATA_OFFICER,)),
    DemoStaffSpec("zj.bigdata.admin", "省大数据局管理员", "330000", DepartmentKind.BIG_DATA,
                  (Role.BIG_DATA_ADMIN,)),
    DemoStaffSpec("hz.leader", "市政府领导", "330100", DepartmentKind.GENERAL_OFFICE, (Role.LEADER,)),
)


def demo_totp_key(seed: int, username: str) -> str:
    """Deterministic per seed, so a rebuilt demo keeps the authenticator entries working."""
    return hashlib.sha1(f"zhengtong-demo:{seed}:{username}".encode()).hexdigest()


def totp_secret_base32(hex_key: str) -> str:
    """The secret as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")


class ProvinceBuilder:
    def __init__(self, *, seed: int, progress: bool = True):
        self.seed = seed
        self.random = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.progress = progress
        self.used_ids: set[str] = set()

    # --- identifiers -------------------------------------------------------------------------
    def resident_id(self, county: str, birth: date, gender: str) -> str:
        while True:
            sequence = self.random.randrange(0, 1000)
            # The 17th digit (last of the sequence) is odd for men, even for women.
            if (sequence % 2 == 1) != (gender == Gender.MALE):
                sequence = (sequence + 1) % 1000
            body = f"{county}{birth:%Y%m%d}{sequence:03d}"
            number = body + resident_id_check_char(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def credit_code(self, county: str, category: str) -> str:
        org_body = "".join(self.random.choice(USCC_CHARSET) for _ in range(8))
        org_code = org_body + organization_code_check_char(org_body)
        body = f"9{category}{county}{org_code}"
        return body + uscc_check_char(body)

    def mobile(self) -> str:
        return self.random.choice(MOBILE_PREFIXES) + f"{self.random.randrange(10**8):08d}"

    def address(self, township: Division, county: Division, city: Division | None) -> str:
        road = self.random.choice(ROAD_STEMS) + self.random.choice(ROAD_SUFFIXES)
        number = self.random.randrange(1, 400)
        building, unit, room = self.random.randrange(1, 30), self.random.randrange(1, 6), self.random.randrange(101, 1802)
        city_name = city.name if city else ""
        return f"浙江省{city_name}{county.name}{township.name}{road}{number}号{building}幢{unit}单元{room}室"

    def birth_date(self) -> date:
        start = date(1940, 1, 1)
        return start + timedelta(days=self.random.randrange((date(2020, 12, 31) - start).days))

    # --- build -------------------------------------------------------------------------------
    def build(self, *, scale: int) -> DemoProvince:
        result = DemoProvince()
        divisions_load(rows=division_rows_bundled())
        departments_create_standard()
        result.divisions = Division.objects.count()
        result.departments = Department.objects.count()

        counties = list(Division.objects.filter(level=DivisionLevel.COUNTY).select_related("parent"))
        townships_by_county: dict[int, list[Division]] = {}
        for township in Division.objects.filter(level=DivisionLevel.TOWNSHIP):
            townships_by_county.setdefault(township.parent_id, []).append(township)
        counties = [c for c in counties if c.id in townships_by_county]

        result.persons = self.build_persons(scale * PERSONS_PER_SCALE, counties, townships_by_county)
        result.companies = self.build_companies(scale * COMPANIES_PER_SCALE, counties, townships_by_county)
        result.accounts = self.build_accounts()
        self.build_assistance_cases()
        return result

    def person_row(self, counties, townships_by_county) -> Citizen:
        county = self.random.choice(counties)
        gender = self.random.choice((Gender.MALE, Gender.FEMALE))
        birth = self.birth_date()
        name = self.faker.name_male() if gender == Gender.MALE else self.faker.name_female()
        township = self.random.choice(townships_by_county[county.id])
        return Citizen(
            resident_id=self.resident_id(county.code, birth, gender),
            name=name,
            gender=gender,
            birth_date=birth,
            division=county,
            address=self.address(township, county, county.parent),
            mobile=self.mobile(),
        )

    def build_persons(self, count, counties, townships_by_county) -> int:
        bar = tqdm(total=count, desc="persons", unit="", disable=not self.progress)
        made = 0
        while made < count:
            batch = [self.person_row(counties, townships_by_county) for _ in range(min(BATCH_SIZE, count - made))]
            with transaction.atomic():
                Citizen.objects.bulk_create(batch)
            made += len(batch)
            bar.update(len(batch))
        bar.close()
        return made

    def build_companies(self, count, counties, townships_by_county) -> int:
        adults = list(
            Citizen.objects.filter(birth_date__lte=date(2004, 1, 1)).order_by("id").values_list("id", flat=True)[:50000]
        )
        bar = tqdm(total=count, desc="companies", unit="", disable=not self.progress)
        made = 0
        while made < count:
            batch = []
            for _ in range(min(BATCH_SIZE, count - made)):
                county = self.random.choice(counties)
                township = self.random.choice(townships_by_county[county.id])
                roll = self.random.random()
                if roll < 0.85:
                    kind, category = CompanyKind.ENTERPRISE, "1"
                    name = county.parent.name.removesuffix("市") + self.faker.company()
                elif roll < 0.97:
                    kind, category = CompanyKind.INDIVIDUAL_BUSINESS, "2"
                    name = f"{county.name}{self.faker.last_name()}记{self.random.choice(('便利店', '小吃店', '五金店', '理发店', '茶叶店'))}"
                else:
                    kind, category = CompanyKind.FARMER_COOPERATIVE, "3"
                    name = f"{county.name}{township.name}{self.random.choice(('茶叶', '果蔬', '水产', '竹木'))}专业合作社"
                batch.append(
                    Company(
                        uscc=self.credit_code(county.code, category),
                        name=name,
                        kind=kind,
                        legal_representative_id=self.random.choice(adults),
                        division=county,
                        address=self.address(township, county, county.parent),
                        registered_on=date(1995, 1, 1) + timedelta(days=self.random.randrange(11000)),
                    )
                )
            with transaction.atomic():
                Company.objects.bulk_create(batch, ignore_conflicts=True)
            made += len(batch)
            bar.update(len(batch))
        bar.close()
        return Company.objects.count()

    @transaction.atomic
    def build_accounts(self) -> list[DemoAccount]:
        """One citizen, one company and the demo staff get logins (the others are records only)."""
        hangzhou = Division.objects.get(code="330100")
        citizen = (
            Citizen.objects.filter(user__isnull=True, birth_date__lte=date(2000, 1, 1), division__parent=hangzhou)
            .order_by("id")
            .first()
        )
        citizen.user = User.objects.create_user(
            citizen_login_key(citizen.resident_id), DEMO_PASSWORD, kind=AccountKind.CITIZEN, display_name=citizen.name
        )
        citizen.save(update_fields=["user"])
        company = Company.objects.filter(user__isnull=True, kind=CompanyKind.ENTERPRISE).order_by("id").first()
        company.user = User.objects.create_user(
            company.uscc, DEMO_PASSWORD, kind=AccountKind.COMPANY, display_name=company.name
        )
        company.save(update_fields=["user"])
        for spec in DEMO_STAFF:
            department = Department.objects.get(division__code=spec.division_code, kind=spec.department_kind)
            name = self.faker.name()
            staff_create(
                username=spec.username,
                name=name,
                department=department,
                roles=list(spec.roles),
                password=DEMO_PASSWORD,
                totp_key=demo_totp_key(self.seed, spec.username),
            )
        return demo_accounts()


    def build_assistance_cases(self) -> None:
        """A few 协办事项 between the two demo departments, at different steps, so the workspace
        shows real cases. Built through the loops services, as a user would."""
        market = actor_from_user(User.objects.get(username="hz.amr.officer"))
        labour = actor_from_user(User.objects.get(username="hz.hrss.officer"))
        requests = (
            (market, labour, "核实企业参保人数", "请核实该企业近12个月社会保险参保人数，用于信用评价。", "responded"),
            (market, labour, "协查用工备案信息", "请协助查询该企业劳动用工备案情况。", "handling"),
            (labour, market, "提供企业登记信息", "请提供企业最新登记信息及法定代表人变更记录。", "assigned"),
        )
        for asker, handler, title, description, until in requests:
            case = case_report(actor=asker, kind="assistance", title=title, description=description,
                               assignee_department_id=handler.department_id)
            if until in ("handling", "responded"):
                case = case_accept(actor=handler, case=case)
            if until == "responded":
                case_respond(actor=handler, case=case, response="已核实：近12个月参保人数为23人。")


def demo_accounts() -> list[DemoAccount]:
    """The demo logins as they are in the database now (for printing)."""
    accounts = []
    citizen = Citizen.objects.filter(user__isnull=False).select_related("division").order_by("id").first()
    if citizen:
        accounts.append(DemoAccount("市民 citizen", citizen.resident_id, citizen.name, citizen.division.name))
    company = Company.objects.filter(user__isnull=False).select_related("division__parent").order_by("id").first()
    if company:
        where = f"{company.division.parent.name}{company.division.name}"
        accounts.append(DemoAccount("企业 company", company.user.username, company.name, where))
    members = {m.user.username: m for m in StaffMember.objects.select_related("user", "department")}
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__staff_member__isnull=False)}
    for spec in DEMO_STAFF:
        member = members.get(spec.username)
        if member:
            accounts.append(
                DemoAccount(spec.role_label, spec.username, member.name, member.department.name,
                            totp_secret_base32(devices[member.user_id].key))
            )
    return accounts
