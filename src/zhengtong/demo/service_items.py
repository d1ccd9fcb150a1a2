"""The demo's service items (政务服务事项) as data: what `zhengtong demo` publishes on the service
platform (一网通办), built by demo/services.py through the guide's services.

Twenty-three items of eight Hangzhou departments, with their implementation lists (实施清单) at
Hangzhou (330100) and, for a few, at Xihu district (330106) as well (四级四同: the same name, code,
type and basis at both; the rest local). Four are instant (秒办): a DMN table decides them from the
applicant's fetched data (see /services/applications/decisions/). Materials are fetched from the
sharing services the demo's departments publish (户籍人口基本信息, 社会保险参保人员信息, 市场主体登记信息,
and the base registries) wherever the data exists, uploaded otherwise; in the one-thing bundles a
document one part produces is not asked for by the next (PRODUCED).

The legal bases, time limits and fees follow the published implementation lists of Zhejiang's
service portal (浙江政务服务网) for these items, simplified where the demo has no use for a detail.
"""

from dataclasses import dataclass, field

from zhengtong.kernel.org.models import DepartmentKind

CITY = "330100"  # 杭州市
DISTRICT = "330106"  # 杭州市西湖区

# Where a material is fetched from: a demo dataset's title (the sharing service the directory made
# of it, looked up when the demo is built) or a registry service's code.
HOUSEHOLD = "dataset:户籍人口基本信息"
INSURANCE = "dataset:社会保险参保人员信息"
MARKET = "dataset:市场主体登记信息"
PERSON_REGISTRY = "registry-person"
COMPANY_REGISTRY = "registry-company"

PHOTO_TYPES = ("jpg", "png")
DOCUMENT_TYPES = ("pdf", "jpg", "png")
PDF = ("pdf",)


def label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def form_field(name: str, zh: str, en: str, kind: str = "text", *, required: bool = True, prefill: str = "",
               choices: tuple[tuple[str, str], ...] = (), help_zh: str = "", help_en: str = "",
               max_length: int | None = None) -> dict:
    """One entry of ItemImplementation.form_fields, with exactly the contract's keys."""
    return {
        "name": name,
        "label": label(zh, en),
        "kind": kind,
        "required": required,
        "choices": [list(choice) for choice in choices],
        "prefill": prefill,
        "help": label(help_zh, help_en) if help_zh else "",
        "max_length": max_length,
    }


# --- Questions many items ask -----------------------------------------------------------------

def person_fields(*names: str) -> list[dict]:
    """The applicant's own particulars, each pre-filled from the person registry (人口库)."""
    known = {
        "name": form_field("name", "申请人姓名", "Applicant's name", prefill="person.name", max_length=50),
        "resident_id": form_field("resident_id", "公民身份号码", "Resident ID number", "resident_id",
                                  prefill="person.resident_id"),
        "birth_date": form_field("birth_date", "出生日期", "Date of birth", "date", prefill="person.birth_date"),
        "mobile": form_field("mobile", "联系电话", "Mobile phone", "mobile", prefill="person.mobile",
                             help_zh="用于接收办理进度短信", help_en="Progress messages are sent to this number"),
        "address": form_field("address", "户籍地址", "Registered address", "address", prefill="person.address",
                              max_length=200),
        "division_code": form_field("division_code", "户籍所在地", "Registered division", "division",
                                    prefill="person.division_code"),
    }
    return [known[name] for name in names]


def company_fields(*names: str) -> list[dict]:
    """The applying company's particulars, pre-filled from the legal-person registry (法人库)."""
    known = {
        "uscc": form_field("uscc", "统一社会信用代码", "Unified social credit code", "uscc", prefill="company.uscc"),
        "company_name": form_field("company_name", "单位名称", "Name of the company", prefill="company.name",
                                   max_length=100),
        "legal_representative": form_field("legal_representative", "法定代表人", "Legal representative",
                                           prefill="company.legal_representative", max_length=50),
        "address": form_field("address", "住所", "Registered address", "address", prefill="company.address",
                              max_length=200),
        # Not every register holds a company's phone: asked, but not required.
        "mobile": form_field("mobile", "联系电话", "Contact phone", "mobile", required=False,
                             prefill="company.mobile",
                             help_zh="用于接收办理进度短信", help_en="Progress messages are sent to this number"),
        "division_code": form_field("division_code", "住所所在地", "Division of the registered address", "division",
                                    prefill="company.division_code"),
    }
    return [known[name] for name in names]


@dataclass(frozen=True)
class DemoMaterial:
    code: str
    name: str
    source: str = "upload"  # guide MaterialSource
    source_ref: str = ""  # HOUSEHOLD / INSURANCE / MARKET / a registry code / an item code (PRODUCED)
    required: bool = True
    copies: int = 1
    basis: str = ""
    form: str = "electronic"
    accepted_types: tuple[str, ...] = ()
    max_bytes: int = 5 * 1024 * 1024


def shared(code: str, name: str, source_ref: str, *, required: bool = True, basis: str = "") -> DemoMaterial:
    return DemoMaterial(code, name, "shared", source_ref, required=required, basis=basis)


def upload(code: str, name: str, types: tuple[str, ...] = DOCUMENT_TYPES, *, required: bool = True,
           copies: int = 1, basis: str = "", max_mb: int = 5) -> DemoMaterial:
    return DemoMaterial(code, name, required=required, copies=copies, basis=basis, accepted_types=types,
                        max_bytes=max_mb * 1024 * 1024)


def produced(code: str, name: str, item_code: str) -> DemoMaterial:
    """A document an earlier part of a one-thing bundle produces (not asked for in the bundle;
    uploaded when the item is applied for on its own)."""
    return DemoMaterial(code, name, "produced", item_code, accepted_types=DOCUMENT_TYPES)


ID_CARD = shared("id-card", "居民身份证", PERSON_REGISTRY, basis="《中华人民共和国居民身份证法》")
HOUSEHOLD_BOOK = shared("household-book", "居民户口簿", HOUSEHOLD, basis="《中华人民共和国户口登记条例》")
INSURANCE_RECORD = shared("insurance-record", "社会保险参保证明", INSURANCE)
BUSINESS_LICENCE = shared("business-licence", "营业执照", MARKET, basis="《中华人民共和国市场主体登记管理条例》")


@dataclass(frozen=True)
class DemoImplementation:
    """How one division implements an item; empty fields take the item's defaults."""

    division: str
    place: str = ""
    conditions: str = ""
    promised_days: int | None = None


@dataclass(frozen=True)
class DemoItem:
    code: str
    name: str
    item_type: str  # guide ItemType
    department_kind: str  # the competent and implementing department's kind
    basis: str
    serving: str  # citizen / company / both
    theme: str
    keywords: tuple[str, ...]
    conditions: str
    legal_days: int
    promised_days: int
    result_name: str
    process: str  # instant / standard / simple / parallel_review
    form_fields: tuple[dict, ...]
    materials: tuple[DemoMaterial, ...]
    implementations: tuple[DemoImplementation, ...] = (DemoImplementation(CITY),)
    handling_kind: str = "new"
    decision: str = ""
    fees: tuple[dict, ...] = ()
    result_licence_type: str = ""
    visits: int = 0
    online: bool = True
    mobile: bool = True
    special_steps: str = ""
    hours: str = "工作日 9:00-12:00，13:30-17:00（法定节假日除外）"

    @property
    def instant(self) -> bool:
        return self.process == "instant"


def fee(name: str, yuan: int, basis: str) -> dict:
    """A fee in integer fen (分), as the guide keeps money."""
    return {"name": name, "amount_fen": yuan * 100, "basis": basis}


# --- Item codes (the catalogue code, the same at every level) ---------------------------------
# <department>-<type>-<serial>: 许可 XK, 确认 QR, 给付 GF, 备案 BA, 其他 QT, 公共服务 GG.

ELDERLY_CARD = "MZ-GG-0101"
LONGEVITY_ALLOWANCE = "MZ-GF-0102"
FLEXIBLE_INSURANCE = "RS-GG-0201"
SOLE_TRADER_DEREGISTRATION = "SJ-XK-0301"
RESIDENT_PENSION = "RS-GG-0202"
UNEMPLOYMENT_BENEFIT = "RS-GF-0203"
EMPLOYMENT_CARD = "RS-GG-0204"
ID_CARD_RENEWAL = "GA-QT-0401"
HUKOU_MOVE = "GA-XK-0402"
BIRTH_REGISTRATION = "GA-QR-0403"
BIRTH_CERTIFICATE = "WJ-GG-0501"
NEWBORN_MEDICAL_INSURANCE = "RS-GG-0205"
SOCIAL_SECURITY_CARD = "RS-GG-0206"
COMPANY_REGISTRATION = "SJ-XK-0302"
SEAL_ENGRAVING = "GA-BA-0404"
TAX_REGISTRATION = "SW-QR-0601"
EMPLOYER_INSURANCE = "RS-QR-0207"
HOUSING_FUND_EMPLOYER = "ZJ-GG-0701"
FOOD_LICENCE = "SJ-XK-0303"
PROPERTY_TRANSFER = "ZR-QR-0801"
PUBLIC_RENTAL_HOUSING = "ZJ-GF-0702"
PHYSICIAN_REGISTRATION = "WJ-XK-0502"
PRIMARY_SCHOOL = "JY-GG-0901"

MZ, RS, SJ, GA, WJ, SW, ZJ, ZR, JY = (
    DepartmentKind.CIVIL_AFFAIRS, DepartmentKind.HUMAN_RESOURCES, DepartmentKind.MARKET_REGULATION,
    DepartmentKind.PUBLIC_SECURITY, DepartmentKind.HEALTH, DepartmentKind.TAXATION, DepartmentKind.HOUSING,
    DepartmentKind.NATURAL_RESOURCES, DepartmentKind.EDUCATION,
)

CITIZEN_CENTRE = "杭州市民中心 杭州市上城区解放东路18号 综合受理窗口"
XIHU_CENTRE = "西湖区行政服务中心 杭州市西湖区文三路3号 综合受理窗口"

DEMO_ITEMS: tuple[DemoItem, ...] = (
    # --- Instant items (秒办): zero fields to fill, zero human approval -------------------------
    DemoItem(
        code=ELDERLY_CARD, name="老年人优待证申领", item_type="public_service", department_kind=MZ,
        basis="《中华人民共和国老年人权益保障法》第五十七条；《浙江省实施〈中华人民共和国老年人权益保障法〉办法》第三十八条",
        serving="citizen", theme="养老服务", keywords=("老年人", "优待证", "敬老", "老年卡"),
        conditions="年满60周岁、户籍在本市的老年人。",
        legal_days=5, promised_days=1, result_name="老年人优待证（电子证）", result_licence_type="elderly_card",
        process="instant", decision="elderly_card",
        form_fields=tuple(person_fields("name", "resident_id", "birth_date", "division_code", "mobile", "address")),
        materials=(ID_CARD, HOUSEHOLD_BOOK),
        implementations=(DemoImplementation(CITY), DemoImplementation(DISTRICT, place=XIHU_CENTRE)),
        special_steps="系统根据人口库数据自动核验年龄和户籍，符合条件的即时办结（秒办）。",
    ),
    DemoItem(
        code=LONGEVITY_ALLOWANCE, name="高龄津贴申领", item_type="benefit", department_kind=MZ,
        basis="《中华人民共和国老年人权益保障法》第三十三条；《浙江省高龄津贴发放办法》",
        serving="citizen", theme="养老服务", keywords=("高龄", "津贴", "80周岁", "养老"),
        conditions="年满80周岁、户籍在本市的老年人；津贴按月发放至本人社会保障卡。",
        legal_days=20, promised_days=1, result_name="高龄津贴发放核定", process="instant",
        decision="longevity_allowance",
        form_fields=tuple(person_fields("name", "resident_id", "birth_date", "division_code", "mobile")),
        materials=(ID_CARD, HOUSEHOLD_BOOK),
        special_steps="系统根据人口库数据自动核验年龄和户籍，符合条件的即时办结（秒办）。",
    ),
    DemoItem(
        code=FLEXIBLE_INSURANCE, name="灵活就业人员参保登记", item_type="public_service", department_kind=RS,
        basis="《中华人民共和国社会保险法》第十条、第二十三条；《社会保险费征缴暂行条例》",
        serving="citizen", theme="社会保障", keywords=("灵活就业", "参保", "养老保险", "个体"),
        conditions="年满16周岁、未达法定退休年龄的无雇工个体工商户、未在用人单位参加基本养老保险的非全日制"
                   "从业人员以及其他灵活就业人员。",
        legal_days=15, promised_days=1, result_name="灵活就业人员参保登记", process="instant",
        decision="flexible_employment_insurance",
        form_fields=tuple(person_fields("name", "resident_id", "birth_date", "mobile", "address")),
        materials=(ID_CARD, shared("insurance-record", "社会保险参保证明", INSURANCE, required=False)),
        special_steps="系统根据参保数据自动核验，在职参保的转人工核实。",
    ),
    DemoItem(
        code=SOLE_TRADER_DEREGISTRATION, name="个体工商户简易注销登记", item_type="licensing",
        department_kind=SJ, handling_kind="cancellation",
        basis="《中华人民共和国市场主体登记管理条例》第三十三条；《促进个体工商户发展条例》",
        serving="company", theme="注销清算", keywords=("个体工商户", "注销", "简易注销", "歇业"),
        conditions="未发生债权债务或者已将债权债务清偿完结的个体工商户；无未结清的税款和社会保险费。",
        legal_days=3, promised_days=1, result_name="准予注销登记通知书", process="instant",
        decision="sole_trader_deregistration",
        form_fields=tuple(company_fields("uscc", "company_name", "legal_representative", "mobile")),
        materials=(BUSINESS_LICENCE,),
        special_steps="公示期满无异议后，系统自动核验登记信息，即时办结。",
    ),
    # --- Citizens: social security and employment ---------------------------------------------
    DemoItem(
        code=RESIDENT_PENSION, name="城乡居民基本养老保险参保登记", item_type="public_service", department_kind=RS,
        basis="《中华人民共和国社会保险法》第二十条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）",
        serving="citizen", theme="社会保障", keywords=("城乡居民", "养老保险", "参保登记"),
        conditions="年满16周岁（不含在校学生）、非国家机关和事业单位工作人员及不属于职工基本养老保险制度覆盖范围的本市户籍居民。",
        legal_days=15, promised_days=3, result_name="城乡居民基本养老保险参保登记", process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("contribution_grade", "缴费档次", "Contribution grade", "choice",
                                choices=(("100", "每年100元"), ("300", "每年300元"), ("500", "每年500元"),
                                         ("1000", "每年1000元"), ("2000", "每年2000元")),
                                help_zh="多缴多得，政府补贴随档次提高", help_en="Higher grades earn higher subsidies")),
        materials=(ID_CARD, HOUSEHOLD_BOOK),
    ),
    DemoItem(
        code=UNEMPLOYMENT_BENEFIT, name="失业保险金申领", item_type="benefit", department_kind=RS,
        basis="《中华人民共和国社会保险法》第四十五条；《失业保险条例》第十四条",
        serving="citizen", theme="就业创业", keywords=("失业", "失业金", "失业保险"),
        conditions="失业前用人单位和本人已经缴纳失业保险费满一年；非因本人意愿中断就业；已经进行失业登记，并有求职要求。",
        legal_days=20, promised_days=5, result_name="失业保险待遇核定", process="standard",
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("unemployed_since", "失业日期", "Date employment ended", "date"),
                     form_field("reason", "中断就业原因", "Why employment ended", "choice",
                                choices=(("contract_end", "劳动合同期满终止"), ("employer_ended", "用人单位解除劳动合同"),
                                         ("bankruptcy", "用人单位破产、撤销"), ("other", "其他非本人意愿原因"))),
                     form_field("bank_account", "本人银行账号", "Your bank account number", max_length=32,
                                help_zh="失业保险金按月发放至该账户", help_en="The benefit is paid monthly into it")),
        materials=(ID_CARD, INSURANCE_RECORD,
                   upload("termination-proof", "解除或终止劳动关系证明", basis="《失业保险条例》第十六条")),
    ),
    DemoItem(
        code=EMPLOYMENT_CARD, name="就业创业证申领", item_type="public_service", department_kind=RS,
        basis="《就业服务与就业管理规定》第六十三条；《人力资源社会保障部关于进一步完善就业失业登记管理办法的通知》",
        serving="citizen", theme="就业创业", keywords=("就业创业证", "就业失业登记", "创业"),
        conditions="在法定劳动年龄内、有劳动能力和就业要求的本市户籍人员或常住人员。",
        legal_days=10, promised_days=2, result_name="就业创业证（电子证）", result_licence_type="employment_card",
        process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("employment_status", "就业状态", "Employment status", "choice",
                                choices=(("employed", "已就业"), ("unemployed", "失业"), ("self_employed", "自主创业")))),
        materials=(ID_CARD,),
    ),
    DemoItem(
        code=SOCIAL_SECURITY_CARD, name="社会保障卡申领", item_type="public_service", department_kind=RS,
        basis="《中华人民共和国社会保险法》第五十八条；《社会保障卡管理办法》",
        serving="citizen", theme="社会保障", keywords=("社保卡", "社会保障卡", "市民卡"),
        conditions="参加本市社会保险的人员（含新生儿）。",
        legal_days=20, promised_days=10, result_name="社会保障卡（第三代）", result_licence_type="social_security_card",
        process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("card_holder_name", "持卡人姓名", "Card holder's name", max_length=50,
                                help_zh="为新生儿等他人申领时填写其姓名", help_en="For a newborn: the child's name"),
                     form_field("delivery_address", "邮寄地址", "Delivery address", "address", max_length=200)),
        materials=(ID_CARD, upload("photo", "近期免冠彩色证件照", PHOTO_TYPES, max_mb=2)),
    ),
    # --- Citizens: household register and identity --------------------------------------------
    DemoItem(
        code=ID_CARD_RENEWAL, name="居民身份证有效期满换领", item_type="other_power", department_kind=GA,
        handling_kind="renewal",
        basis="《中华人民共和国居民身份证法》第五条、第十一条",
        serving="citizen", theme="户籍办理", keywords=("身份证", "换领", "到期", "有效期"),
        conditions="居民身份证有效期满或即将期满（3个月内）的本市户籍居民。",
        legal_days=60, promised_days=20, result_name="中华人民共和国居民身份证",
        fees=(fee("居民身份证工本费", 20, "《国家发展改革委 财政部关于第二代居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）"),),
        process="standard", visits=1,
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("collect", "领取方式", "How to receive it", "choice",
                                choices=(("post", "邮寄到家"), ("counter", "窗口自取")))),
        materials=(HOUSEHOLD_BOOK, upload("photo-receipt", "数码照片回执", PHOTO_TYPES, max_mb=2,
                                          basis="到照相馆或自助拍照设备拍摄，取得回执")),
        implementations=(DemoImplementation(CITY), DemoImplementation(DISTRICT, place=XIHU_CENTRE)),
        special_steps="首次申领或指纹信息未采集的，需到窗口采集指纹（跑一次）。",
    ),
    DemoItem(
        code=HUKOU_MOVE, name="市内户口迁移", item_type="licensing", department_kind=GA, handling_kind="change",
        basis="《中华人民共和国户口登记条例》第十条；《浙江省户口迁移管理规定》",
        serving="citizen", theme="户籍办理", keywords=("户口", "迁移", "迁户", "落户"),
        conditions="在本市范围内有合法稳定住所（自有房屋或经房主同意）的本市户籍居民。",
        legal_days=20, promised_days=5, result_name="准予迁入证明", process="standard",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("new_address", "迁入地址", "Address moved to", "address", max_length=200),
                     form_field("new_division", "迁入地行政区划", "Division moved to", "division"),
                     form_field("relation", "与房主关系", "Relation to the owner of the home", "choice",
                                choices=(("owner", "本人"), ("spouse", "配偶"), ("child", "子女"), ("parent", "父母"),
                                         ("other", "其他")))),
        materials=(HOUSEHOLD_BOOK, upload("property-proof", "房屋所有权证明", DOCUMENT_TYPES)),
    ),
    DemoItem(
        code=BIRTH_CERTIFICATE, name="出生医学证明首次签发", item_type="public_service", department_kind=WJ,
        basis="《中华人民共和国母婴保健法》第二十三条；《出生医学证明管理办法》",
        serving="citizen", theme="生育收养", keywords=("出生医学证明", "新生儿", "出生证"),
        conditions="在本市依法取得助产技术服务资质的医疗保健机构内出生的新生儿。",
        legal_days=10, promised_days=1, result_name="出生医学证明", result_licence_type="birth_certificate",
        process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("baby_name", "新生儿姓名", "Baby's name", max_length=50),
                     form_field("baby_gender", "新生儿性别", "Baby's sex", "choice",
                                choices=(("male", "男"), ("female", "女"))),
                     form_field("baby_birth_date", "出生日期", "Date of birth", "date"),
                     form_field("hospital", "出生医院", "Hospital of birth", max_length=100),
                     form_field("other_parent_id", "另一方父母的公民身份号码", "The other parent's resident ID",
                                "resident_id")),
        materials=(ID_CARD, upload("delivery-record", "分娩记录（医院出具）", PDF)),
    ),
    DemoItem(
        code=BIRTH_REGISTRATION, name="出生登记（新生儿落户）", item_type="confirmation", department_kind=GA,
        basis="《中华人民共和国户口登记条例》第七条",
        serving="citizen", theme="生育收养", keywords=("出生登记", "落户", "新生儿", "报户口"),
        conditions="父母一方为本市户籍的新生儿，出生后一个月内申报。",
        legal_days=10, promised_days=3, result_name="居民户口簿（新生儿户口登记）", process="standard",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("baby_name", "新生儿姓名", "Baby's name", max_length=50),
                     form_field("baby_gender", "新生儿性别", "Baby's sex", "choice",
                                choices=(("male", "男"), ("female", "女"))),
                     form_field("baby_birth_date", "出生日期", "Date of birth", "date")),
        materials=(HOUSEHOLD_BOOK, produced("birth-certificate", "出生医学证明", BIRTH_CERTIFICATE)),
    ),
    DemoItem(
        code=NEWBORN_MEDICAL_INSURANCE, name="城乡居民基本医疗保险参保登记（新生儿）", item_type="public_service",
        department_kind=RS,
        basis="《中华人民共和国社会保险法》第二十五条；《浙江省城乡居民基本医疗保险办法》",
        serving="citizen", theme="生育收养", keywords=("医保", "新生儿", "参保", "城乡居民医疗保险"),
        conditions="本市户籍或父母一方在本市参保的新生儿，出生后三个月内参保的自出生之日起享受待遇。",
        legal_days=15, promised_days=3, result_name="城乡居民基本医疗保险参保登记", process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("baby_name", "新生儿姓名", "Baby's name", max_length=50),
                     form_field("baby_birth_date", "出生日期", "Date of birth", "date")),
        materials=(ID_CARD, produced("birth-certificate", "出生医学证明", BIRTH_CERTIFICATE)),
    ),
    # --- Companies: opening (开办企业) --------------------------------------------------------
    DemoItem(
        code=COMPANY_REGISTRATION, name="有限责任公司设立登记", item_type="licensing", department_kind=SJ,
        basis="《中华人民共和国公司法》第二十九条；《中华人民共和国市场主体登记管理条例》第三条",
        serving="company", theme="设立变更", keywords=("公司设立", "开办企业", "营业执照", "注册公司"),
        conditions="有符合公司章程规定的全体股东认缴的出资额；有公司名称和住所；股东共同制定公司章程。",
        legal_days=3, promised_days=1, result_name="营业执照", result_licence_type="business_licence",
        process="simple",
        form_fields=(*company_fields("legal_representative", "mobile"),
                     form_field("new_company_name", "拟设立公司名称", "Name of the new company", max_length=100,
                                help_zh="如：杭州某某科技有限公司", help_en="For example 杭州某某科技有限公司"),
                     form_field("registered_capital", "注册资本（万元）", "Registered capital (10,000 yuan)", "number"),
                     form_field("business_scope", "经营范围", "Business scope", "textarea", max_length=2000),
                     form_field("premises", "公司住所", "Registered address of the new company", "address",
                                max_length=200)),
        materials=(upload("articles", "公司章程", PDF, basis="《中华人民共和国公司法》第四十六条"),
                   upload("premises-proof", "住所使用证明", DOCUMENT_TYPES)),
    ),
    DemoItem(
        code=SEAL_ENGRAVING, name="公章刻制备案", item_type="filing", department_kind=GA,
        basis="《国务院对确需保留的行政审批项目设定行政许可的决定》第37项；《印铸刻字业暨印章管理办法》",
        serving="company", theme="设立变更", keywords=("刻章", "公章", "印章备案"),
        conditions="依法设立的企业；新办企业首套印章（公章、财务章、发票专用章）由政府免费刻制。",
        legal_days=3, promised_days=1, result_name="印章备案信息", process="simple",
        form_fields=(*company_fields("legal_representative", "mobile"),
                     form_field("seal_set", "印章类型", "Seals to engrave", "choice",
                                choices=(("first_set", "首套印章（公章、财务章、发票专用章）"), ("official", "仅公章")))),
        materials=(produced("business-licence", "营业执照", COMPANY_REGISTRATION),),
    ),
    DemoItem(
        code=TAX_REGISTRATION, name="新办纳税人涉税事项", item_type="confirmation", department_kind=SW,
        basis="《中华人民共和国税收征收管理法》第十五条；《税务登记管理办法》",
        serving="company", theme="设立变更", keywords=("税务登记", "发票", "新办纳税人", "税控"),
        conditions="领取营业执照的新办企业，自领取之日起30日内办理。",
        legal_days=5, promised_days=1, result_name="税务信息确认及发票领用", process="simple",
        form_fields=(*company_fields("legal_representative", "mobile"),
                     form_field("taxpayer_kind", "纳税人类型", "Kind of taxpayer", "choice",
                                choices=(("small_scale", "小规模纳税人"), ("general", "一般纳税人"))),
                     form_field("accountant", "办税人员姓名", "Tax clerk's name", max_length=50)),
        materials=(produced("business-licence", "营业执照", COMPANY_REGISTRATION),),
    ),
    DemoItem(
        code=EMPLOYER_INSURANCE, name="单位社会保险登记", item_type="confirmation", department_kind=RS,
        basis="《中华人民共和国社会保险法》第五十七条；《社会保险登记管理暂行办法》",
        serving="company", theme="设立变更", keywords=("社保登记", "单位参保", "社会保险"),
        conditions="依法设立的用人单位，自成立之日起30日内办理。",
        legal_days=15, promised_days=1, result_name="社会保险登记", process="simple",
        form_fields=(*company_fields("legal_representative", "mobile"),
                     form_field("employees", "参保职工人数", "Number of employees to insure", "number")),
        materials=(produced("business-licence", "营业执照", COMPANY_REGISTRATION),),
    ),
    DemoItem(
        code=HOUSING_FUND_EMPLOYER, name="住房公积金单位缴存登记", item_type="public_service", department_kind=ZJ,
        basis="《住房公积金管理条例》第十四条",
        serving="company", theme="设立变更", keywords=("公积金", "单位缴存", "开户"),
        conditions="新设立的单位，自设立之日起30日内办理。",
        legal_days=5, promised_days=1, result_name="住房公积金单位缴存登记", process="simple",
        form_fields=(*company_fields("legal_representative", "mobile"),
                     form_field("contribution_rate", "缴存比例", "Contribution rate", "choice",
                                choices=(("5", "5%"), ("8", "8%"), ("10", "10%"), ("12", "12%")))),
        materials=(produced("business-licence", "营业执照", COMPANY_REGISTRATION),),
    ),
    # --- Companies: permits --------------------------------------------------------------------
    DemoItem(
        code=FOOD_LICENCE, name="食品经营许可证核发", item_type="licensing", department_kind=SJ,
        basis="《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
        serving="company", theme="准营准办", keywords=("食品经营", "许可证", "餐饮", "食品"),
        conditions="具有与经营的食品品种、数量相适应的经营场所；有食品安全管理人员和规章制度；设备布局和工艺流程合理。",
        legal_days=10, promised_days=5, result_name="食品经营许可证", result_licence_type="food_licence",
        process="parallel_review",
        form_fields=(*company_fields("uscc", "company_name", "legal_representative", "mobile"),
                     form_field("premises", "经营场所", "Business premises", "address", max_length=200),
                     form_field("category", "主体业态", "Kind of business", "choice",
                                choices=(("retail", "食品销售经营者"), ("catering", "餐饮服务经营者"),
                                         ("canteen", "单位食堂"))),
                     form_field("area", "经营场所面积（平方米）", "Floor area (m²)", "number")),
        materials=(BUSINESS_LICENCE, upload("safety-rules", "食品安全管理制度文本", PDF),
                   upload("floor-plan", "经营场所平面布局图", DOCUMENT_TYPES)),
        special_steps="现场核查与材料审查同步进行（并联审批）。",
    ),
    DemoItem(
        code=PROPERTY_TRANSFER, name="不动产转移登记（二手房买卖）", item_type="confirmation", department_kind=ZR,
        handling_kind="change",
        basis="《中华人民共和国民法典》第二百零九条；《不动产登记暂行条例》第十四条",
        serving="citizen", theme="住房保障", keywords=("不动产", "过户", "二手房", "房产证"),
        conditions="买卖双方已签订存量房买卖合同并完成网签备案，已完税。",
        legal_days=30, promised_days=5, result_name="不动产权证书", result_licence_type="real_estate_certificate",
        fees=(fee("不动产登记费（住宅）", 80, "《关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）"),
              fee("证书工本费", 10, "《财政部 国家发展改革委关于不动产登记收费有关政策问题的通知》（财税〔2016〕79号）")),
        process="standard", visits=1,
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("property_address", "不动产坐落", "Address of the property", "address", max_length=200),
                     form_field("certificate_number", "原不动产权证书号", "Number of the current certificate", max_length=50),
                     form_field("area", "建筑面积（平方米）", "Floor area (m²)", "number"),
                     form_field("price", "成交价格（万元）", "Price (10,000 yuan)", "number")),
        materials=(ID_CARD, upload("contract", "存量房买卖合同", PDF), upload("tax-receipt", "完税凭证", DOCUMENT_TYPES)),
        special_steps="买卖双方需到窗口当面签署登记申请书（跑一次）。",
    ),
    DemoItem(
        code=PUBLIC_RENTAL_HOUSING, name="公共租赁住房保障资格申请", item_type="benefit", department_kind=ZJ,
        basis="《公共租赁住房管理办法》（住房和城乡建设部令第11号）第七条；《杭州市公共租赁住房建设租赁管理暂行办法》",
        serving="citizen", theme="住房保障", keywords=("公租房", "住房保障", "租赁补贴", "保障房"),
        conditions="本市户籍、家庭人均可支配收入低于规定标准、在本市无房或人均住房面积低于规定标准的家庭。",
        legal_days=60, promised_days=30, result_name="公共租赁住房保障资格", process="parallel_review",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("household_size", "家庭人口数", "People in the household", "number"),
                     form_field("monthly_income", "家庭人均月收入（元）", "Monthly income per person (yuan)", "number"),
                     form_field("housing_now", "现住房情况", "Where you live now", "choice",
                                choices=(("none", "无房"), ("small", "人均面积低于15平方米"), ("renting", "租房居住")))),
        materials=(ID_CARD, HOUSEHOLD_BOOK, upload("income-proof", "家庭收入证明", DOCUMENT_TYPES)),
        implementations=(DemoImplementation(CITY), DemoImplementation(DISTRICT, place=XIHU_CENTRE, promised_days=25)),
        special_steps="街道初审、区住房保障部门复审（并联审查），审核结果公示7日。",
    ),
    DemoItem(
        code=PHYSICIAN_REGISTRATION, name="医师执业注册", item_type="licensing", department_kind=WJ,
        basis="《中华人民共和国医师法》第十三条；《医师执业注册管理办法》",
        serving="citizen", theme="医疗卫生", keywords=("医师", "执业注册", "医生"),
        conditions="取得医师资格，拟在本市医疗、预防、保健机构中执业。",
        legal_days=20, promised_days=5, result_name="医师执业证书（电子证照）", result_licence_type="physician_licence",
        process="standard",
        form_fields=(*person_fields("name", "resident_id", "mobile"),
                     form_field("qualification_number", "医师资格证书编码", "Number of the physician's qualification",
                                max_length=30),
                     form_field("institution", "拟执业机构", "Institution of practice", max_length=100),
                     form_field("specialty", "执业范围", "Scope of practice", "choice",
                                choices=(("internal", "内科专业"), ("surgery", "外科专业"), ("pediatrics", "儿科专业"),
                                         ("general", "全科医学专业")))),
        materials=(ID_CARD, upload("qualification", "医师资格证书", DOCUMENT_TYPES),
                   upload("health-report", "近6个月内的健康体检证明", DOCUMENT_TYPES)),
    ),
    DemoItem(
        code=PRIMARY_SCHOOL, name="小学一年级新生入学报名", item_type="public_service", department_kind=JY,
        basis="《中华人民共和国义务教育法》第十二条；《浙江省义务教育条例》",
        serving="citizen", theme="教育科研", keywords=("入学", "小学", "报名", "学区"),
        conditions="当年8月31日前年满6周岁、户籍或居住地在本区的适龄儿童，由父母或其他监护人报名。",
        legal_days=20, promised_days=15, result_name="入学录取通知", process="simple",
        form_fields=(*person_fields("name", "resident_id", "mobile", "address"),
                     form_field("child_name", "儿童姓名", "Child's name", max_length=50),
                     form_field("child_resident_id", "儿童公民身份号码", "Child's resident ID", "resident_id"),
                     form_field("school", "报名学校", "School", "choice",
                                choices=(("xuejun", "杭州市学军小学"), ("wenyi", "杭州市文一街小学"),
                                         ("xixi", "杭州市西溪实验学校")))),
        materials=(HOUSEHOLD_BOOK, upload("housing-proof", "房产证明或租赁备案证明", DOCUMENT_TYPES)),
        implementations=(DemoImplementation(DISTRICT, place=XIHU_CENTRE),),
    ),
)

ITEMS_BY_CODE = {item.code: item for item in DEMO_ITEMS}


# --- The one-thing bundles (一件事) -----------------------------------------------------------

@dataclass(frozen=True)
class DemoBundlePart:
    item_code: str
    field_map: dict[str, str] = field(default_factory=dict)  # item field → merged field (same name when omitted)


@dataclass(frozen=True)
class DemoBundle:
    code: str
    name: str
    description: str
    serving: str
    result_name: str
    parts: tuple[DemoBundlePart, ...]
    division: str = CITY


COMPANY_OPENING = DemoBundle(
    code="company-opening",
    name="开办企业一件事",
    description="企业设立登记、公章刻制、新办纳税人涉税事项、单位社会保险登记和住房公积金单位缴存登记一次申请、"
                "一表填报、一套材料，各部门并联办理，一日办结。营业执照由设立登记生成，后续环节不再提交。",
    serving="company",
    result_name="营业执照、印章、税务登记信息、社会保险登记和住房公积金缴存登记",
    parts=(
        DemoBundlePart(COMPANY_REGISTRATION),
        DemoBundlePart(SEAL_ENGRAVING),
        DemoBundlePart(TAX_REGISTRATION),
        DemoBundlePart(EMPLOYER_INSURANCE),
        DemoBundlePart(HOUSING_FUND_EMPLOYER),
    ),
)

NEWBORN = DemoBundle(
    code="newborn",
    name="新生儿出生一件事",
    description="出生医学证明、出生登记（落户）、城乡居民医保参保登记和社会保障卡申领一次办理：父母在线填一张表，"
                "出生医学证明签发后其余事项不再提交，各部门并联办理。",
    serving="citizen",
    result_name="出生医学证明、户口登记、医保参保和社会保障卡",
    parts=(
        DemoBundlePart(BIRTH_CERTIFICATE),
        DemoBundlePart(BIRTH_REGISTRATION),
        DemoBundlePart(NEWBORN_MEDICAL_INSURANCE),
        DemoBundlePart(SOCIAL_SECURITY_CARD, {"card_holder_name": "baby_name"}),
    ),
)

DEMO_BUNDLES = (COMPANY_OPENING, NEWBORN)


# --- The guided finder (智能导服) -------------------------------------------------------------

@dataclass(frozen=True)
class DemoFinderQuestion:
    code: str
    text: str
    answers: tuple[dict, ...]  # {"code", "label", "next", "themes", "items"}
    is_start: bool = False


def answer(code: str, text: str, *, next_question: str = "", themes: tuple[str, ...] = (),
           items: tuple[str, ...] = ()) -> dict:
    return {"code": code, "label": text, "next": next_question, "themes": list(themes), "items": list(items)}


DEMO_FINDER = (
    DemoFinderQuestion("who", "您是以什么身份办事？", (
        answer("person", "个人", next_question="life-event"),
        answer("company", "企业或个体工商户", next_question="company-stage"),
    ), is_start=True),
    DemoFinderQuestion("life-event", "您想办理哪方面的事情？", (
        answer("birth", "生孩子", themes=("生育收养",),
               items=(BIRTH_CERTIFICATE, BIRTH_REGISTRATION, NEWBORN_MEDICAL_INSURANCE, SOCIAL_SECURITY_CARD)),
        answer("elderly", "养老", next_question="age"),
        answer("work", "就业和社保", themes=("就业创业", "社会保障"),
               items=(FLEXIBLE_INSURANCE, UNEMPLOYMENT_BENEFIT, EMPLOYMENT_CARD, RESIDENT_PENSION,
                      SOCIAL_SECURITY_CARD)),
        answer("identity", "户口和身份证", themes=("户籍办理",), items=(ID_CARD_RENEWAL, HUKOU_MOVE)),
        answer("home", "住房", themes=("住房保障",), items=(PUBLIC_RENTAL_HOUSING, PROPERTY_TRANSFER)),
        answer("school", "孩子上学", themes=("教育科研",), items=(PRIMARY_SCHOOL,)),
        answer("doctor", "医师执业", themes=("医疗卫生",), items=(PHYSICIAN_REGISTRATION,)),
    )),
    DemoFinderQuestion("age", "您（或您代办的老人）多大年纪？", (
        answer("60-79", "60至79周岁", themes=("养老服务",), items=(ELDERLY_CARD, RESIDENT_PENSION)),
        answer("80-plus", "80周岁及以上", themes=("养老服务",), items=(ELDERLY_CARD, LONGEVITY_ALLOWANCE)),
    )),
    DemoFinderQuestion("company-stage", "您的企业处于哪个阶段？", (
        answer("opening", "准备开办企业", themes=("设立变更",),
               items=(COMPANY_REGISTRATION, SEAL_ENGRAVING, TAX_REGISTRATION, EMPLOYER_INSURANCE,
                      HOUSING_FUND_EMPLOYER)),
        answer("operating", "办理经营许可", themes=("准营准办",), items=(FOOD_LICENCE,)),
        answer("closing", "停业注销", themes=("注销清算",), items=(SOLE_TRADER_DEREGISTRATION,)),
    )),
)
