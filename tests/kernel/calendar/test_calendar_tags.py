"""Every page shows a working-day deadline the same way: the date, and the notice when provisional."""

from datetime import date

from django.template import Context, Template
from django.utils import translation

from zhengtong.kernel.calendar.public import WorkingDeadline

PROVISIONAL = WorkingDeadline(due=date(2027, 1, 7), provisional=True, unknown_years=(2027,))
EXACT = WorkingDeadline(due=date(2026, 2, 24), provisional=False, unknown_years=())


def render(source: str, deadline: WorkingDeadline) -> str:
    html = Template("{% load calendar_tags %}" + source).render(Context({"deadline": deadline}))
    # The included status tag ends in a newline; in HTML any run of white space is one space.
    return " ".join(html.split())


def test_a_provisional_deadline_shows_its_tag_and_notice_in_chinese():
    with translation.override("zh-hans"):
        html = render("{% working_deadline deadline %}", PROVISIONAL)

    assert html == (
        '<span class="zt-deadline"><time datetime="2027-01-07">2027年1月7日</time> '
        '<strong class="zt-tag zt-tag--warning">暂定</strong> '
        '<span class="zt-deadline__notice">2027年节假日安排尚未载入，该期限暂按周末计算，可能变化</span></span>'
    )


def test_a_provisional_deadline_in_english():
    with translation.override("en"):
        html = render("{% working_deadline deadline %}", PROVISIONAL)

    assert html == (
        '<span class="zt-deadline"><time datetime="2027-01-07">Jan. 7, 2027</time> '
        '<strong class="zt-tag zt-tag--warning">Provisional</strong> '
        '<span class="zt-deadline__notice">The 2027 holiday schedule has not been loaded yet; this deadline '
        "counts weekends only and may change</span></span>"
    )


def test_an_exact_deadline_shows_the_date_alone():
    with translation.override("zh-hans"):
        assert render("{% working_deadline deadline %}", EXACT) == (
            '<span class="zt-deadline"><time datetime="2026-02-24">2026年2月24日</time></span>'
        )
        assert render("[{{ deadline|provisional_notice }}]", EXACT) == "[]"


def test_the_notice_filter_alone():
    with translation.override("zh-hans"):
        assert render("{{ deadline|provisional_notice }}", PROVISIONAL) == (
            "2027年节假日安排尚未载入，该期限暂按周末计算，可能变化"
        )
