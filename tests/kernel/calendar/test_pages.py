"""The holiday schedule page: coverage, upload, errors, who may use it."""

from datetime import date
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengtong.kernel.calendar.models import HolidaySchedule, ScheduleDay, ScheduleLoad
from zhengtong.kernel.calendar.public import working_deadline
from zhengtong.kernel.calendar.schedule_file import ScheduleDayRow
from zhengtong.kernel.calendar.services import schedule_load
from zhengtong.kernel.calendar.working_days import PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.identity.services import staff_create
from zhengtong.kernel.org.models import Department

from .conftest import EXAMPLE_FILE, EXAMPLE_SOURCE

# The page's staff check asks for a verified second factor; these tests are about the page itself.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

URL = "/workspace/calendar/"


@pytest.fixture
def no_totp(settings):
    settings.STAFF_REQUIRE_TOTP = False


@pytest.fixture
def big_data_admin(small_province):
    member = staff_create(
        username="dsj-admin", name="钱数据", department=Department.objects.get(code="330000-DSJ"),
        roles=["big_data_admin"], password="a-long-test-password",
    )
    return member.user


@pytest.fixture
def case_officer(small_province):
    member = staff_create(
        username="ga-officer", name="孙经办", department=Department.objects.get(code="330100-GA"),
        roles=["case_officer"], password="a-long-test-password",
    )
    return member.user


class TableReader(HTMLParser):
    """The text of each table's body rows, cell by cell."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._in_body = False
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[-1].append([])
        elif tag in ("th", "td") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_state():
    return (
        list(HolidaySchedule.objects.values_list("year", "source")),
        list(ScheduleDay.objects.values_list("date", "kind", "name")),
        ScheduleLoad.objects.count(),
    )


def upload(client, *, year: int, source: str, content: bytes, name: str = "schedule.csv"):
    return client.post(URL, {"year": year, "source": source, "file": SimpleUploadedFile(name, content, "text/csv")})


def test_the_page_shows_which_years_are_covered(client, big_data_admin):
    client.force_login(big_data_admin)

    response = client.get(URL)

    assert response.status_code == 200
    coverage = TableReader(response.content.decode()).tables[0]
    this_year = timezone.localdate().year
    expected = []
    for year in range(this_year - 1, this_year + 3):
        if PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
            expected.append(str(year) + " chinesecalendar 软件包")
        else:
            expected.append(str(year) + " 未覆盖：只按周末计算")
    assert [f"{row[0]} {row[1]}" for row in coverage] == expected
    # The first year nothing covers is offered in the form.
    first_unknown = next(year for year in range(this_year - 1, this_year + 3) if year > PACKAGE_LAST_YEAR)
    assert f'name="year" value="{first_unknown}"' in response.content.decode()


def test_a_loaded_year_shows_its_notice_counts_and_who_loaded_it(client, big_data_admin):
    client.force_login(big_data_admin)
    schedule_load(
        actor=actor_from_user(big_data_admin), year=2030, source="测试",
        days=[ScheduleDayRow(date=date(2030, 1, 1), kind="holiday", name="元旦")],
    )

    rows = TableReader(client.get(URL).content.decode()).tables[0]

    loaded = next(row for row in rows if row[0] == "2030")
    assert loaded[:5] == ["2030", "已载入安排", "1", "0", "测试"]
    assert loaded[5].endswith(", 钱数据")


def test_a_bad_file_shows_every_problem_and_saves_nothing(client, big_data_admin):
    client.force_login(big_data_admin)
    content = (
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"
        "2027-01-04,workday,元旦\n"
        "2027-13-01,holiday,元旦\n"
    ).encode()

    response = upload(client, year=2027, source="测试用安排", content=content)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="zt-error-summary"' in html
    assert '<li><a href="#id_file">第4行：“2027-13-01”不是 YYYY-MM-DD 格式的日期。</a></li>' in html
    # Shape errors stop the file before the meaning is checked: the Monday "workday" is not reported yet.
    assert "调休上班日必须是周六或周日" not in html
    assert table_state() == ([], [], 0)

    response = upload(client, year=2027, source="测试用安排", content=content.replace(b"2027-13-01", b"2027-01-05"))

    html = response.content.decode()
    assert (
        '<li><a href="#id_file">第3行：2027-01-04 是星期一；调休上班日必须是周六或周日。</a></li>'
        in html
    )
    assert table_state() == ([], [], 0)


def test_a_good_file_is_loaded_and_the_page_says_so(client, big_data_admin):
    client.force_login(big_data_admin)

    response = upload(client, year=2027, source=EXAMPLE_SOURCE, content=EXAMPLE_FILE.read_bytes())

    assert response.status_code == 302
    assert response["Location"] == reverse("calendar:coverage")
    schedule = HolidaySchedule.objects.get()
    assert (schedule.year, schedule.source, schedule.loaded_by) == (2027, EXAMPLE_SOURCE, big_data_admin)
    assert schedule.days.count() == 11
    assert working_deadline(date(2026, 12, 24), 10).due == date(2027, 1, 8)

    page = client.get(URL).content.decode()
    assert "2027年节假日安排已载入：共列出11天。" in page
    loads = TableReader(page).tables[1]
    assert [row[1:] for row in loads] == [["2027", EXAMPLE_SOURCE, "10", "1", "—", "钱数据"]]


def test_an_oversized_file_is_refused_before_reading(client, big_data_admin):
    client.force_login(big_data_admin)

    response = upload(client, year=2027, source="测试", content=b"date,kind,name\n" + b"#" * (65 * 1024))

    assert "文件大小为 65 KB；节假日安排文件远小于 64 KB。" in response.content.decode()
    assert table_state() == ([], [], 0)


def test_staff_without_the_role_get_403_and_cannot_load(client, case_officer):
    client.force_login(case_officer)

    assert client.get(URL).status_code == 403
    assert upload(client, year=2027, source=EXAMPLE_SOURCE, content=EXAMPLE_FILE.read_bytes()).status_code == 403
    assert table_state() == ([], [], 0)


def test_a_superuser_may_use_the_page(client):
    superuser = User.objects.create_superuser("root-admin", "a-long-test-password")
    client.force_login(superuser)

    assert client.get(URL).status_code == 200
    assert upload(client, year=2027, source=EXAMPLE_SOURCE, content=EXAMPLE_FILE.read_bytes()).status_code == 302
    assert HolidaySchedule.objects.get().loaded_by == superuser


def test_the_page_costs_the_same_queries_however_many_years_are_loaded(client, big_data_admin):
    client.force_login(big_data_admin)
    actor = actor_from_user(big_data_admin)
    schedule_load(actor=actor, year=2030, source="测试", days=[ScheduleDayRow(date(2030, 1, 1), "holiday", "元旦")])
    with CaptureQueriesContext(connection) as one_year:
        client.get(URL)
    for year in (2031, 2032, 2033):
        schedule_load(actor=actor, year=year, source="测试", days=[ScheduleDayRow(date(year, 1, 1), "holiday", "元旦")])
    with CaptureQueriesContext(connection) as four_years:
        client.get(URL)

    assert len(four_years) == len(one_year)


def test_a_file_for_the_wrong_year_lists_the_first_30_problems_and_the_total(client, big_data_admin):
    client.force_login(big_data_admin)
    lines = "".join(f"2026-01-{day:02d},holiday,元旦\n" for day in range(1, 32))
    lines += "".join(f"2026-02-{day:02d},holiday,春节\n" for day in range(1, 5))

    html = upload(client, year=2027, source="测试", content=("date,kind,name\n" + lines).encode()).content.decode()

    assert html.count("不在2027年内。</a></li>") == 30
    assert '<li><a href="#id_file">仅列出全部35个问题中的前30个。</a></li>' in html
    assert table_state() == ([], [], 0)


def test_anyone_not_signed_in_is_sent_to_the_staff_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("identity:staff-login") + "?next=/workspace/calendar/"
