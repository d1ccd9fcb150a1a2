"""The shared components render accessible markup, and the style guide shows them all."""

import re
from pathlib import Path

import polib
import pytest
from django import forms
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from zhengtong.web.forms import ComponentsExampleForm

SOURCE = Path(__file__).resolve().parents[2] / "src" / "zhengtong"


@pytest.fixture(autouse=True)
def chinese():
    # Outside a request no language is active; the platform's default is Chinese.
    with translation.override("zh-hans"):
        yield


def test_field_ties_label_hint_and_error_to_the_input():
    form = ComponentsExampleForm(data={"full_name": ""})
    form.is_valid()

    html = render_to_string("web/components/field.html", {"field": form["full_name"]})

    assert '<label class="zt-label" for="id_full_name">姓名</label>' in html
    assert '<div class="zt-hint" id="id_full_name_helptext">与居民身份证上的一致。</div>' in html
    assert (
        '<p class="zt-error-message" id="id_full_name_error">'
        '<span class="zt-visually-hidden">错误：</span> 该字段是必填项。</p>'
    ) in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_full_name_helptext id_full_name_error"' in html
    assert 'class="zt-field zt-field--error"' in html


def test_a_valid_field_has_no_error_markup():
    form = ComponentsExampleForm(data={"full_name": "张三", "contact": "post"})
    form.is_valid()

    html = render_to_string("web/components/field.html", {"field": form["full_name"]})

    assert "aria-invalid" not in html
    assert "zt-error-message" not in html
    assert 'aria-describedby="id_full_name_helptext"' in html


def test_a_radio_group_is_a_fieldset_with_a_legend():
    form = ComponentsExampleForm(data={})
    form.is_valid()

    html = render_to_string("web/components/field.html", {"field": form["contact"]})

    assert '<fieldset class="zt-fieldset" aria-describedby="id_contact_error">' in html
    assert '<legend class="zt-legend">我们如何联系您？</legend>' in html


def test_an_optional_field_says_so():
    html = render_to_string("web/components/field.html", {"field": ComponentsExampleForm()["note"]})

    assert '<label class="zt-label" for="id_note">备注（选填）</label>' in html


def test_the_error_summary_links_every_error_to_its_field():
    form = ComponentsExampleForm(data={})
    form.is_valid()
    form.add_error(None, "整体错误")

    html = render_to_string("web/components/error_summary.html", {"form": form})

    assert (
        '<div class="zt-error-summary" role="alert" aria-labelledby="zt-error-summary-title" tabindex="-1" autofocus>'
    ) in html
    assert '<h2 class="zt-error-summary__title" id="zt-error-summary-title">出现问题</h2>' in html
    links = re.findall(r'<a href="(#[\w-]+)">([^<]+)</a>', html)
    assert links == [
        ("#id_full_name", "整体错误"),  # errors of the whole form lead to the first field
        ("#id_full_name", "该字段是必填项。"),
        ("#id_contact_0", "该字段是必填项。"),
    ]


def test_no_errors_no_summary():
    form = ComponentsExampleForm(data={"full_name": "张三", "contact": "post"})
    form.is_valid()

    assert render_to_string("web/components/error_summary.html", {"form": form}).strip() == ""


def test_a_hidden_field_error_is_listed_without_a_link():
    class HiddenForm(forms.Form):
        token = forms.CharField(widget=forms.HiddenInput)

    form = HiddenForm(data={})
    form.is_valid()

    html = render_to_string("web/components/error_summary.html", {"form": form})

    assert "<li>该字段是必填项。</li>" in html
    assert "<a " not in html


@pytest.mark.parametrize(
    "tone, css", [("success", "success"), ("warning", "warning"), ("danger", "danger"), ("", "info"), ("bogus", "info")]
)
def test_status_tag_tones(tone, css):
    html = render_to_string("web/components/status_tag.html", {"label": "已受理", "tone": tone})

    assert html.strip().endswith(f'<strong class="zt-tag zt-tag--{css}">已受理</strong>')


def test_page_pagination_keeps_other_query_parameters():
    request = RequestFactory().get("/cases/?status=open&page=2")
    page_obj = Paginator(range(30), 10).get_page(2)

    html = render_to_string("web/components/pagination.html", {"page_obj": page_obj}, request=request)

    assert '<nav class="zt-pagination" aria-label="分页">' in html
    assert '<a href="?status=open&amp;page=1" rel="prev">上一页</a>' in html
    assert '<a href="?status=open&amp;page=3" rel="next">下一页</a>' in html
    assert "第 2 页，共 3 页" in html


def test_a_single_page_needs_no_pagination():
    request = RequestFactory().get("/cases/")
    page_obj = Paginator(range(5), 10).get_page(1)

    assert render_to_string("web/components/pagination.html", {"page_obj": page_obj}, request=request).strip() == ""


def test_cursor_pagination_uses_the_given_urls():
    html = render_to_string(
        "web/components/pagination.html", {"previous_url": "/api/x?cursor=a", "next_url": "/api/x?cursor=b"}
    )

    assert '<a href="/api/x?cursor=a" rel="prev">上一页</a>' in html
    assert '<a href="/api/x?cursor=b" rel="next">下一页</a>' in html
    assert "共" not in html  # a cursor does not know how many pages there are


def test_table_has_caption_and_scoped_headers():
    html = render_to_string(
        "web/components/table.html",
        {"caption": "办件", "head": ["编号", "事项"], "rows": [["A1", "出生登记"]]},
    )

    assert "<caption>办件</caption>" in html
    assert '<th scope="col">编号</th><th scope="col">事项</th>' in html
    assert '<tr><th scope="row">A1</th><td>出生登记</td></tr>' in html


def test_an_empty_table_says_so():
    html = render_to_string("web/components/table.html", {"caption": "办件", "head": ["编号", "事项"], "rows": []})

    assert '<tr><td colspan="2">暂无内容。</td></tr>' in html


@pytest.mark.django_db
def test_the_style_guide_shows_every_component(client):
    response = client.get("/components/?page=2")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>界面组件</h1>" in page
    # The example summary does not steal focus or announce itself on a page about components.
    assert '<div class="zt-error-summary" aria-labelledby="zt-error-summary-title" tabindex="-1">' in page
    assert '<strong class="zt-tag zt-tag--danger">已逾期</strong>' in page
    assert "<caption>待办理的办件</caption>" in page
    assert '<a href="?page=1" rel="prev">上一页</a>' in page
    assert "第 2 页，共 3 页" in page
    assert '<button class="zt-button zt-button--warning" type="button">撤回申请</button>' in page


def test_every_template_message_of_ours_is_in_a_chinese_catalogue():
    """makemessages needs GNU gettext; this catches a {% translate %} added without a catalogue entry."""
    msgids = set()
    for app in ("web", "kernel/identity"):
        po = polib.pofile(str(SOURCE / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
        msgids |= {entry.msgid for entry in po.translated_entries()}
    templates = list((SOURCE / "web" / "templates").rglob("*.html")) + list(
        (SOURCE / "kernel" / "identity" / "templates").rglob("*.html")
    )
    used = set()
    for template in templates:
        # Usage notes ({% comment %}, {% verbatim %}) quote example messages that are never rendered.
        text = re.sub(
            r"{% (comment|verbatim) %}.*?{% end\1 %}", "", template.read_text(encoding="utf-8"), flags=re.S
        )
        used |= set(re.findall(r'{% translate "([^"]+)"', text))
        used |= set(re.findall(r"{% translate '([^']+)'", text))
        used |= set(re.findall(r'_\("([^"]+)"\)', text))

    assert sorted(used - msgids) == []
