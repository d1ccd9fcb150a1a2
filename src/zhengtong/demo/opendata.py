"""The demo province's open data (数据开放): datasets that departments of several cities open, with
rows, on the portal; two open only on application; and some that must never appear.

Open to everyone (L1, open type "open"), each a few hundred to a few thousand rows generated from
the seed: Hangzhou's food-business licences (market regulation), public toilets (housing), air
quality daily (big-data bureau); Ningbo's bus stops and Wenzhou's EV charging stations (housing);
the province's list of primary and secondary schools (education). On application (L2, open type
"conditional", personal fields masked in the served copy): Hangzhou's sole traders and their
operators (market regulation), and elderly-care subsidies paid (civil affairs). Never on the portal:
Hangzhou's CCTV points (L4), and the departments' person datasets the demo loads before (social
insurance and the household register: not open).

Every dataset goes through the catalog's services and ingest's load_run, then the portal is synced
and the open data served (the opendata_sync command's logic). On top: a developer key of the demo
citizen (derived from the seed, like the demo's other keys, so a rebuilt demo prints the same one),
the citizen's approved application for the sole-trader data, a data request and a published reuse
showcase, through the portal's community services.

Idempotent: run again (`zhengtong demo --if-empty`) it adds nothing and prints the same key.
"""

import base64
import csv
import hashlib
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import transaction

from zhengtong.data.catalog.models import Dataset
from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.kernel.identity.models import Citizen, Company, User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Division, DivisionLevel

SYSTEM = Actor(kind="system")
PORTAL_URL = "http://127.0.0.1:8000/opendata/"
API_URL = "http://127.0.0.1:8000/api/v1/open/"


def _field(name, title, type_="string", *, domain=None, masking=None, **constraints) -> dict:
    spec: dict[str, Any] = {"name": name, "title": title, "type": type_}
    if domain:
        spec["domainType"] = domain
    if masking:
        spec["maskingKind"] = masking
    if constraints:
        spec["constraints"] = constraints
    return spec


@dataclass(frozen=True)
class OpenDemoDataset:
    key: str
    department: str  # the owner department's code
    title: str
    description: str
    keywords: tuple[str, ...]
    theme: str
    update_cycle: str
    open_type: str
    sensitivity: str
    fields: tuple[dict, ...]
    primary_key: tuple[str, ...]
    rows: Callable[["Places", random.Random], list[dict[str, Any]]]
    share_type: str = "unconditional"
    grade: str = "general"
    contact_name: str = ""
    spatial_code: str | None = None


@dataclass
class Places:
    """The demo province's real divisions the rows are placed in."""

    counties: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # city code → [(code, name)]
    townships: dict[str, list[str]] = field(default_factory=dict)  # county code → township names
    city_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Places":
        places = cls()
        for division in Division.objects.filter(level=DivisionLevel.CITY).order_by("code"):
            places.city_names[division.code] = division.name
        for county in Division.objects.filter(level=DivisionLevel.COUNTY).select_related("parent").order_by("code"):
            if county.parent is not None:
                places.counties.setdefault(county.parent.code, []).append((county.code, county.name))
        for township in Division.objects.filter(level=DivisionLevel.TOWNSHIP).select_related("parent").order_by("code"):
            if township.parent is not None:
                places.townships.setdefault(township.parent.code, []).append(township.name)
        return places

    def county(self, rng: random.Random, city: str) -> tuple[str, str]:
        return rng.choice(self.counties[city])

    def address(self, rng: random.Random, city: str, county: tuple[str, str]) -> str:
        township = rng.choice(self.townships.get(county[0]) or [""])
        return (f"浙江省{self.city_names[city]}{county[1]}{township}{rng.choice(ROADS)}{rng.randrange(1, 600)}号")

    def point(self, rng: random.Random, city: str) -> tuple[float, float]:
        lon, lat = CITY_CENTRES[city]
        return round(lon + rng.uniform(-0.25, 0.25), 6), round(lat + rng.uniform(-0.2, 0.2), 6)


ROADS = ("人民路", "解放路", "建设路", "中山路", "文化路", "新华路", "和平路", "青年路", "学院路", "体育场路",
         "环城北路", "滨江大道", "湖滨路", "江南大道", "世纪大道", "科技路", "创业路", "振兴路", "光明路", "东湖路")
CITY_CENTRES = {"330100": (120.155, 30.274), "330200": (121.550, 29.875), "330300": (120.699, 27.994)}
SHOP_WORDS = ("味道", "小厨", "面馆", "餐厅", "食堂", "烘焙坊", "茶餐厅", "便利店", "超市", "生鲜店", "奶茶店", "快餐店")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玲婷浩宇轩涵欣怡晨雨佳琪俊"
MOBILE_PREFIXES = ("130", "133", "135", "136", "137", "138", "139", "150", "152", "158", "159", "186", "188", "189")
HANGZHOU, NINGBO, WENZHOU = "330100", "330200", "330300"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _day(rng: random.Random, start: date, days: int) -> str:
    return (start + timedelta(days=rng.randrange(days))).isoformat()


# --- The rows ------------------------------------------------------------------------------------------

FOOD_CATEGORIES = ("预包装食品销售", "散装食品销售", "热食类食品制售", "冷食类食品制售", "糕点类食品制售", "自制饮品制售")


def food_licences(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 901):
        county = places.county(rng, HANGZHOU)
        issued = date(2021, 1, 1) + timedelta(days=rng.randrange(1800))
        rows.append({
            "licence_no": f"JY3{county[0]}{number:06d}",
            "operator_name": f"{county[1].removesuffix('区').removesuffix('县').removesuffix('市')}"
                             f"{rng.choice(SURNAMES)}记{rng.choice(SHOP_WORDS)}",
            "category": rng.choice(FOOD_CATEGORIES),
            "division_code": county[0],
            "address": places.address(rng, HANGZHOU, county),
            "issued_on": issued.isoformat(),
            "valid_until": (issued + timedelta(days=5 * 365)).isoformat(),
        })
    return rows


def public_toilets(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 601):
        county = places.county(rng, HANGZHOU)
        lon, lat = places.point(rng, HANGZHOU)
        road = rng.choice(ROADS)
        rows.append({
            "toilet_id": f"HZGC{number:05d}", "name": f"{road}公厕{rng.randrange(1, 9)}号",
            "grade": rng.choices(("一类", "二类", "三类"), weights=(3, 5, 2))[0], "division_code": county[0],
            "address": places.address(rng, HANGZHOU, county), "longitude": lon, "latitude": lat,
            "opening_hours": rng.choice(("全天开放", "05:00-23:00", "06:00-22:00")),
            "accessible": rng.choices(("是", "否"), weights=(7, 3))[0],
        })
    return rows


def bus_stops(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 1501):
        county = places.county(rng, NINGBO)
        lon, lat = places.point(rng, NINGBO)
        lines = sorted({rng.randrange(1, 400) for _ in range(rng.randrange(1, 6))})
        rows.append({
            "stop_id": f"NB{number:05d}", "stop_name": f"{rng.choice(ROADS)}{rng.choice(('口', '站', '东', '西', '南', '北'))}",
            "lines": "、".join(f"{line}路" for line in lines), "division_code": county[0],
            "longitude": lon, "latitude": lat,
        })
    return rows


CHARGING_OPERATORS = ("国网浙江电动汽车服务有限公司", "温州城市充电运营有限公司", "特来电新能源有限公司", "星星充电")


def ev_chargers(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 401):
        county = places.county(rng, WENZHOU)
        lon, lat = places.point(rng, WENZHOU)
        rows.append({
            "station_id": f"WZCD{number:04d}", "name": f"{county[1]}{rng.choice(ROADS)}公共充电站",
            "operator": rng.choice(CHARGING_OPERATORS), "division_code": county[0],
            "address": places.address(rng, WENZHOU, county), "longitude": lon, "latitude": lat,
            "fast_piles": rng.randrange(0, 13), "slow_piles": rng.randrange(0, 21),
        })
    return rows


SCHOOL_LEVELS = ("小学", "初级中学", "九年一贯制学校", "普通高级中学")


def schools(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    cities = sorted(places.counties)
    for number in range(1, 1201):
        city = cities[number % len(cities)]
        county = places.county(rng, city)
        level = rng.choices(SCHOOL_LEVELS, weights=(50, 25, 10, 15))[0]
        rows.append({
            "school_code": f"3{county[0]}{number:05d}",
            "name": f"{places.city_names[city].removesuffix('市')}市{county[1]}{rng.choice(ROADS)[:2]}{level}",
            "level": level, "nature": rng.choices(("公办", "民办"), weights=(85, 15))[0], "division_code": county[0],
            "address": places.address(rng, city, county), "students": rng.randrange(200, 3200),
        })
    return rows


AIR_STATIONS = (("西溪", "330106"), ("卧龙桥", "330106"), ("浙江农大", "330105"), ("和睦小学", "330105"),
                ("朝晖五区", "330105"), ("下沙", "330114"), ("滨江", "330108"), ("城厢镇", "330109"),
                ("临平镇", "330113"), ("千岛湖", "330127"))
AIR_LEVELS = ((50, "优"), (100, "良"), (150, "轻度污染"), (200, "中度污染"), (300, "重度污染"))


def air_quality(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    start = date(2025, 1, 1)
    for offset in range(300):
        day = start + timedelta(days=offset)
        season = 30 if day.month in (12, 1, 2) else 0
        for station, county in AIR_STATIONS:
            pm25 = round(max(3.0, rng.gauss(32 + season, 14)), 1)
            aqi = int(min(300, max(15, pm25 * 1.4 + rng.uniform(0, 15))))
            rows.append({
                "station": station, "division_code": county, "day": day.isoformat(), "aqi": aqi, "pm25": pm25,
                "pm10": round(pm25 * rng.uniform(1.2, 1.8), 1),
                "level": next(label for bound, label in AIR_LEVELS if aqi <= bound),
            })
    return rows


TRADES = ("零售", "餐饮", "美容美发", "维修", "服装", "农产品销售", "五金建材", "快递代收")


def sole_traders(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 501):
        county = places.county(rng, HANGZHOU)
        rows.append({
            "reg_no": f"{county[0]}600{number:06d}", "operator_name": _name(rng),
            "mobile": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}", "trade": rng.choice(TRADES),
            "division_code": county[0], "registered_on": _day(rng, date(2010, 1, 1), 5400),
        })
    return rows


def elderly_subsidies(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(1, 701):
        county = places.county(rng, HANGZHOU)
        rows.append({
            "payment_no": f"YL{number:06d}", "recipient_name": _name(rng), "age": rng.randrange(70, 101),
            "division_code": county[0], "month": f"2025-{rng.randrange(1, 13):02d}",
            "amount": rng.choice((100, 200, 300, 400, 600)),
        })
    return rows


def cctv_points(places: Places, rng: random.Random) -> list[dict[str, Any]]:
    return [{"point_id": f"HZSP{number:05d}", "location": places.address(rng, HANGZHOU, places.county(rng, HANGZHOU)),
             "division_code": places.county(rng, HANGZHOU)[0]} for number in range(1, 201)]


# --- The catalog entries ----------------------------------------------------------------------------------

OPEN_DATASETS = (
    OpenDemoDataset(
        "food_licences", "330100-SJ", "杭州市食品经营许可公示信息",
        "杭州市市场监督管理局核发的食品经营许可证公示信息：许可证编号、经营者名称、经营项目、所在区县、经营场所、"
        "发证日期和有效期至，每日更新。",
        ("食品", "许可", "公示", "餐饮"), "ECON", "daily", "open", "L1",
        (_field("licence_no", "许可证编号", required=True), _field("operator_name", "经营者名称", required=True),
         _field("category", "经营项目", enum=list(FOOD_CATEGORIES)),
         _field("division_code", "所在区县", domain="division_code"), _field("address", "经营场所"),
         _field("issued_on", "发证日期", "date"), _field("valid_until", "有效期至", "date")),
        ("licence_no",), food_licences, contact_name="杭州市市场监督管理局食品经营监管处", spatial_code=HANGZHOU),
    OpenDemoDataset(
        "public_toilets", "330100-ZJ", "杭州市城市公共厕所分布",
        "杭州市城区公共厕所的位置、等级、开放时间和无障碍设施情况，方便市民和游客就近如厕，每月更新。",
        ("公共厕所", "公厕", "便民服务"), "REGI", "monthly", "open", "L1",
        (_field("toilet_id", "公厕编号", required=True), _field("name", "公厕名称"),
         _field("grade", "等级", enum=["一类", "二类", "三类"]), _field("division_code", "所在区县", domain="division_code"),
         _field("address", "地址"), _field("longitude", "经度", "number"), _field("latitude", "纬度", "number"),
         _field("opening_hours", "开放时间"), _field("accessible", "无障碍设施", enum=["是", "否"])),
        ("toilet_id",), public_toilets, contact_name="杭州市住房和城乡建设局", spatial_code=HANGZHOU),
    OpenDemoDataset(
        "air_quality", "330100-DSJ", "杭州市空气质量日报",
        "杭州市各国控监测站点每日的空气质量指数（AQI）、PM2.5 和 PM10 浓度及空气质量级别，每日更新。",
        ("空气质量", "AQI", "PM2.5", "环境"), "ENVI", "daily", "open", "L1",
        (_field("station", "监测站点", required=True), _field("division_code", "所在区县", domain="division_code"),
         _field("day", "日期", "date", required=True), _field("aqi", "空气质量指数", "integer"),
         _field("pm25", "PM2.5浓度（微克/立方米）", "number"), _field("pm10", "PM10浓度（微克/立方米）", "number"),
         _field("level", "空气质量级别", enum=[label for _bound, label in AIR_LEVELS])),
        ("station", "day"), air_quality, contact_name="杭州市数据资源管理局", spatial_code=HANGZHOU),
    OpenDemoDataset(
        "bus_stops", "330200-ZJ", "宁波市公交站点信息",
        "宁波市公交站点的编号、名称、途经线路、所在区县和经纬度，每月更新。",
        ("公交", "站点", "出行", "交通"), "TRAN", "monthly", "open", "L1",
        (_field("stop_id", "站点编号", required=True), _field("stop_name", "站点名称"), _field("lines", "途经线路"),
         _field("division_code", "所在区县", domain="division_code"), _field("longitude", "经度", "number"),
         _field("latitude", "纬度", "number")),
        ("stop_id",), bus_stops, contact_name="宁波市住房和城乡建设局", spatial_code=NINGBO),
    OpenDemoDataset(
        "ev_chargers", "330300-ZJ", "温州市电动汽车公共充电站",
        "温州市对外开放的电动汽车公共充电站：名称、运营单位、地址、经纬度和快充、慢充桩数量，每周更新。",
        ("充电桩", "新能源汽车", "充电站"), "ENER", "weekly", "open", "L1",
        (_field("station_id", "充电站编号", required=True), _field("name", "充电站名称"), _field("operator", "运营单位"),
         _field("division_code", "所在区县", domain="division_code"), _field("address", "地址"),
         _field("longitude", "经度", "number"), _field("latitude", "纬度", "number"),
         _field("fast_piles", "快充桩数量", "integer"), _field("slow_piles", "慢充桩数量", "integer")),
        ("station_id",), ev_chargers, contact_name="温州市住房和城乡建设局", spatial_code=WENZHOU),
    OpenDemoDataset(
        "schools", "330000-JY", "浙江省中小学校名录",
        "全省中小学校的学校代码、名称、办学层次、办学性质、所在区县、地址和在校生数，每年更新。",
        ("学校", "中小学", "教育", "名录"), "EDUC", "yearly", "open", "L1",
        (_field("school_code", "学校代码", required=True), _field("name", "学校名称"),
         _field("level", "办学层次", enum=list(SCHOOL_LEVELS)), _field("nature", "办学性质", enum=["公办", "民办"]),
         _field("division_code", "所在区县", domain="division_code"), _field("address", "地址"),
         _field("students", "在校生数", "integer")),
        ("school_code",), schools, contact_name="浙江省教育厅", spatial_code="330000"),
    OpenDemoDataset(
        "sole_traders", "330100-SJ", "杭州市个体工商户经营者信息",
        "个体工商户的注册号、经营者、联系电话、行业、所在区县和登记日期。经营者姓名和电话脱敏提供，申请获批后可用。",
        ("个体工商户", "市场主体", "经营者"), "ECON", "monthly", "conditional", "L2",
        (_field("reg_no", "注册号", required=True), _field("operator_name", "经营者姓名", masking="name"),
         _field("mobile", "联系电话", domain="mobile", masking="mobile"), _field("trade", "行业"),
         _field("division_code", "所在区县", domain="division_code"), _field("registered_on", "登记日期", "date")),
        ("reg_no",), sole_traders, contact_name="杭州市市场监督管理局信息中心", spatial_code=HANGZHOU),
    OpenDemoDataset(
        "elderly_subsidies", "330100-MZ", "杭州市养老服务补贴发放信息",
        "养老服务补贴按月发放的记录：发放编号、领取人、年龄、所在区县、月份和金额。领取人姓名脱敏，申请获批后可用。",
        ("养老", "补贴", "民政"), "SOCI", "monthly", "conditional", "L2",
        (_field("payment_no", "发放编号", required=True), _field("recipient_name", "领取人姓名", masking="name"),
         _field("age", "年龄", "integer"), _field("division_code", "所在区县", domain="division_code"),
         _field("month", "发放月份"), _field("amount", "补贴金额（元）", "number")),
        ("payment_no",), elderly_subsidies, contact_name="杭州市民政局养老服务处", spatial_code=HANGZHOU),
)
# Registered and loaded like the others, and never on the portal: L4 is never opened.
HIDDEN_DATASETS = (
    OpenDemoDataset(
        "cctv_points", "330100-GA", "杭州市治安视频监控点位",
        "治安视频监控点位的编号、位置和所在区县（L4 敏感数据，不予开放）。",
        ("视频监控", "治安"), "JUST", "monthly", "not_open", "L4",
        (_field("point_id", "点位编号", required=True), _field("location", "位置"),
         _field("division_code", "所在区县", domain="division_code")),
        ("point_id",), cctv_points, share_type="not_shared", grade="important", contact_name="杭州市公安局"),
)
DEMO_OPEN_DATASETS = OPEN_DATASETS + HIDDEN_DATASETS
APPLICATION_DATASET = "sole_traders"


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def demo_open_rows(spec: OpenDemoDataset, places: Places, *, seed: int) -> list[dict[str, Any]]:
    """The dataset's rows: the same seed and province always give the same rows."""
    return spec.rows(places, random.Random(f"{seed}:opendata:{spec.key}"))


def _existing(spec: OpenDemoDataset) -> Dataset | None:
    return Dataset.objects.filter(owner_department__code=spec.department, title=spec.title).first()


def _register_and_load(spec: OpenDemoDataset, places: Places, *, seed: int, folder: Path) -> str:
    department = Department.objects.get(code=spec.department)
    ref = dataset_create(
        actor=SYSTEM, title=spec.title, description=spec.description, owner_department_id=department.id,
        share_type=spec.share_type, open_type=spec.open_type, update_cycle=spec.update_cycle,
        sensitivity=spec.sensitivity, grade=spec.grade, keywords=list(spec.keywords), theme=spec.theme,
        contact_name=spec.contact_name, spatial_code=spec.spatial_code,
    )
    descriptor: dict[str, Any] = {"fields": [dict(f) for f in spec.fields], "missingValues": [""]}
    if spec.primary_key:
        descriptor["primaryKey"] = list(spec.primary_key)
    schema_version_create(actor=SYSTEM, resource_code=ref.resource_code, descriptor=descriptor)
    dataset_publish(actor=SYSTEM, resource_code=ref.resource_code)
    rows = demo_open_rows(spec, places, seed=seed)
    load_run(actor=SYSTEM, resource_code=ref.resource_code, source=str(write_csv(folder / f"{spec.key}.csv", rows)))
    return ref.resource_code


# --- Keys and community -------------------------------------------------------------------------------------


def demo_developer_key(seed: int) -> str:
    """The demo citizen's developer key, derived from the seed in the portal's key format
    (zto_<8 hex>_<secret>): a rebuilt demo keeps the key written down before. A demo key, as
    public as the demo password."""
    digest = hashlib.sha256(f"zhengtong-demo-opendata-key:{seed}".encode()).digest()
    secret = base64.urlsafe_b64encode(hashlib.sha256(digest).digest()).decode().rstrip("=").replace("_", "-")
    return f"zto_{digest[:4].hex()}_{secret}"


def _demo_key(citizen_user: User, seed: int) -> str:
    """The key row (made directly, as the demo's API clients are: the service draws a random
    key); "" when the citizen has a key this seed did not make."""
    from zhengtong.data.opendata.keys import default_daily_quota, default_rate_per_minute, key_hash
    from zhengtong.data.opendata.models import DeveloperKey

    full_key = demo_developer_key(seed)
    prefix = full_key.rsplit("_", 1)[0]
    key = DeveloperKey.objects.filter(prefix=prefix).first()
    if key is None:
        if DeveloperKey.objects.filter(owner=citizen_user, name=DEMO_KEY_NAME).exists():
            return ""
        key = DeveloperKey.objects.create(owner=citizen_user, name=DEMO_KEY_NAME, prefix=prefix,
                                          secret_hash=key_hash(full_key), rate_per_minute=default_rate_per_minute(),
                                          daily_quota=default_daily_quota())
    return full_key if key.secret_hash == key_hash(full_key) else ""


DEMO_KEY_NAME = "演示密钥"
APPLICATION_PURPOSE = "研究杭州市个体工商户的行业分布与区域差异，为社区便民商业网点规划提供参考（演示）。"
DATA_REQUEST = ("开放杭州市公共停车场实时泊位数据",
                "希望开放各公共停车场的实时空余泊位数，便于开发停车导航小程序，减少找车位绕行（演示）。")
SHOWCASE = ("杭州便民地图（演示）",
            "把公共厕所、食品经营许可和空气质量日报叠加在一张地图上：出门前看看空气，就近找到公厕和放心餐馆。",
            "https://example.org/hangzhou-convenience-map")


def _community(citizen_user: User, codes: dict[str, str]) -> list[str]:
    """The citizen's approved application, a data request and a published showcase, through the
    portal's services, each once. Returns notes on what could not be made."""
    from django.core.exceptions import ValidationError

    from zhengtong.data.opendata import services
    from zhengtong.data.opendata.models import (
        ApplicationStatus,
        DataRequest,
        OpenDataApplication,
        OpenDataset,
        Showcase,
        ShowcaseStatus,
    )

    notes = []
    officer = User.objects.filter(username="hz.amr.data").first()  # 杭州市市场监管局数据专员
    admin = User.objects.filter(username="zj.bigdata.admin").first()  # 省大数据局管理员
    target = OpenDataset.objects.filter(resource_code=codes.get(APPLICATION_DATASET, "")).first()
    if target is not None and not OpenDataApplication.objects.filter(applicant=citizen_user,
                                                                     dataset_id=target.dataset_id).exists():
        application = services.application_submit(
            applicant_user=citizen_user, open_dataset=target, organisation="", purpose=APPLICATION_PURPOSE,
            requested_until=services.china_today() + timedelta(days=180), agreement_accepted=True)
        if officer is not None:
            services.application_decide(actor=actor_from_user(officer), application=application, approve=True,
                                        reason="用途明确，同意脱敏提供，限本研究使用（演示）。")
        else:
            notes.append("the application waits: no hz.amr.data officer to approve it")
    approved = OpenDataApplication.objects.filter(applicant=citizen_user, status=ApplicationStatus.APPROVED).exists()
    if target is not None and not approved:
        notes.append("the demo citizen's application is not approved")

    if not DataRequest.objects.filter(requester=citizen_user).exists():
        services.data_request_submit(requester_user=citizen_user, title=DATA_REQUEST[0], description=DATA_REQUEST[1],
                                     department=Department.objects.get(code="330100-ZJ"))

    company = Company.objects.filter(user__isnull=False).select_related("user").order_by("id").first()
    submitter = company.user if company else citizen_user
    if not Showcase.objects.filter(title=SHOWCASE[0]).exists():
        used = [codes[k] for k in ("public_toilets", "food_licences", "air_quality") if k in codes]
        try:
            showcase = services.showcase_submit(submitter_user=submitter, title=SHOWCASE[0], description=SHOWCASE[1],
                                                url=SHOWCASE[2], resource_codes=used)
        except ValidationError as error:
            notes.append(f"the showcase was refused: {error}")
        else:
            if admin is not None:
                services.showcase_review(actor=actor_from_user(admin), showcase=showcase, publish=True)
    if not Showcase.objects.filter(title=SHOWCASE[0], status=ShowcaseStatus.PUBLISHED).exists():
        notes.append("the showcase is not published")
    return notes


# --- Building ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOpenData:
    codes: dict[str, str]  # dataset key → resource code
    public: int  # datasets on the portal (both tiers)
    open_to_everyone: int
    with_data: int
    developer_key: str  # "" when printed at the first build with another seed
    citizen: str  # the key owner's name
    notes: tuple[str, ...] = ()


def build_demo_opendata(*, seed: int = 1, progress: bool = True) -> DemoOpenData | None:
    """Register and load the open datasets (once), sync the portal and serve the data, then the
    developer key and the community; None when the demo province is not there."""
    from zhengtong.data.opendata.public import open_statistics

    if not Department.objects.filter(code="330100-SJ").exists():
        return None
    citizen = Citizen.objects.filter(user__isnull=False).select_related("user").order_by("id").first()
    places = Places.load()
    codes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="zt-demo-opendata-") as folder:
        for spec in DEMO_OPEN_DATASETS:
            existing = _existing(spec)
            if existing is not None:
                codes[spec.key] = existing.resource_code
                continue
            codes[spec.key] = _register_and_load(spec, places, seed=seed, folder=Path(folder))
    # Every dataset of the catalog, the departments' earlier ones too: public or not, served or not.
    call_command("opendata_sync", no_progress=not progress, stdout=StringIO())
    notes: list[str] = []
    key = ""
    if citizen is not None:
        with transaction.atomic():
            key = _demo_key(citizen.user, seed)
        notes += _community(citizen.user, codes)
    else:
        notes.append("no demo citizen account: no developer key, application, request or showcase")
    stats = open_statistics()
    return DemoOpenData(codes=codes, public=stats.open_datasets, open_to_everyone=stats.open_to_everyone,
                        with_data=stats.with_data, developer_key=key, citizen=citizen.name if citizen else "",
                        notes=tuple(notes))


def print_demo_opendata(stdout, *, seed: int = 1) -> None:
    """Build, then print the portal's address and the demo citizen's developer key."""
    built = build_demo_opendata(seed=seed, progress=False)
    if built is None:
        return
    for note in built.notes:
        print(f"开放数据演示未完成 / open-data demo incomplete: {note}", file=sys.stderr)
    stdout.write("")
    stdout.write(f"开放数据门户 / Open-data portal: {PORTAL_URL}  （{built.public} 个数据集公开，其中 "
                 f"{built.open_to_everyone} 个无条件开放，{built.with_data} 个可下载 / {built.public} public datasets, "
                 f"{built.open_to_everyone} open to everyone, {built.with_data} downloadable）")
    if built.citizen:
        stdout.write(f"  演示开发者密钥 Demo developer key（市民 {built.citizen}; header  Authorization: Key <key>）")
        stdout.write(f"    {built.developer_key or '（密钥在首次生成演示时已打印 / printed when the demo was first built）'}")
        example = built.codes.get("public_toilets")
        if example and built.developer_key:
            stdout.write(f"    curl -H \"Authorization: Key {built.developer_key}\" "
                         f"\"{API_URL}datasets/{example}/records?limit=5\"")
