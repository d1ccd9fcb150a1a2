"""Sign-in pages: one generic failure for every cause, counted by django-axes, and lockout."""

import re
from datetime import date

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from zhengtong.kernel.identity.backends import lockout_username
from zhengtong.kernel.identity.models import User

from .factories import PASSWORD, RESIDENT_ID, USCC, CitizenFactory, totp_now, totp_wrong

LOGIN = "/account/login/"
STAFF_LOGIN = "/account/staff/login/"
GENERIC_ZH = "您输入的登录信息不正确，请核对后重试。"
GENERIC_EN = "The sign-in details you entered are not correct. Check them and try again."


def error_summary(response) -> str:
    """The error summary box as rendered: the part of the page that tells what went wrong."""
    match = re.search(r'<div class="zt-error-summary".*?</div>', response.content.decode(), re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def main_text(response) -> str:
    """The visible text of <main>, whitespace folded (forms in the header carry per-request tokens)."""
    main = re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def failures(username: str) -> int:
    # Axes counts under the account's key (a blind index for resident IDs), never the typed ID.
    key = lockout_username(None, {"username": username})
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=key))


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


# Portal sign-in -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_citizen_signs_in_with_resident_id_and_lands_on_the_portal_home(client, citizen):
    response = client.post(LOGIN, {"username": RESIDENT_ID, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(citizen.user.pk)


@pytest.mark.django_db
def test_the_id_number_may_be_typed_with_lower_case_x_and_spaces(client, department):
    person = CitizenFactory(resident_id="11010519491231002X", birth_date=date(1949, 12, 31))

    response = client.post(LOGIN, {"username": " 11010519491231002x ", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(person.user.pk)


@pytest.mark.django_db
def test_a_company_signs_in_with_its_credit_code(client, company):
    response = client.post(LOGIN, {"username": USCC, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(company.user.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept_language, message", [("zh-hans", GENERIC_ZH), ("en", GENERIC_EN)], ids=["zh", "en"]
)
def test_every_portal_failure_says_the_same_thing(client, citizen, officer, accept_language, message):
    attempts = {
        "unknown account": {"username": "110101199003077777", "password": PASSWORD},
        "wrong password": {"username": RESIDENT_ID, "password": "Wrong-horse-42"},
        # A staff account with its right password is still not a portal sign-in.
        "staff account": {"username": "wangfang", "password": PASSWORD},
    }
    summaries = {}
    for cause, data in attempts.items():
        response = client.post(LOGIN, data, HTTP_ACCEPT_LANGUAGE=accept_language)
        assert response.status_code == 200, cause
        assert response.context["form"].non_field_errors() == [message], cause
        summaries[cause] = error_summary(response)
        assert not signed_in(client), cause

    assert summaries["unknown account"] == summaries["wrong password"] == summaries["staff account"]
    assert message in summaries["unknown account"]
    # Each cause counted once for its login name; nobody signed in on the way.
    assert failures("110101199003077777") == 1
    assert failures(RESIDENT_ID) == 1
    assert failures("wangfang") == 1
    assert User.objects.filter(last_login__isnull=False).count() == 0


@pytest.mark.django_db
def test_an_empty_form_names_each_missing_field_and_counts_nothing(client, citizen):
    response = client.post(LOGIN, {"username": "", "password": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["请输入证件号码或统一社会信用代码"],
        "password": ["请输入密码"],
    }
    summary = error_summary(response)
    assert '<a href="#id_username">请输入证件号码或统一社会信用代码</a>' in summary
    assert '<a href="#id_password">请输入密码</a>' in summary
    assert AccessAttempt.objects.count() == 0


@pytest.mark.django_db
def test_the_password_is_not_echoed_back(client, citizen):
    response = client.post(LOGIN, {"username": RESIDENT_ID, "password": "Wrong-horse-42"})

    assert "Wrong-horse-42" not in response.content.decode()
    # The login name is kept, so the user need only retype the password.
    assert f'value="{RESIDENT_ID}"' in response.content.decode()


# Staff sign-in --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_officer_signs_in_with_password_and_totp_and_is_otp_verified(client, officer):
    response = client.post(
        STAFF_LOGIN, {"username": "wangfang", "password": PASSWORD, "otp_token": totp_now(officer.user)}
    )

    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert client.session[SESSION_KEY] == str(officer.user.pk)
    # The workspace needs the second factor: reaching it proves request.user.is_verified().
    workspace = client.get("/workspace/")
    assert workspace.status_code == 200
    assert workspace.wsgi_request.user.is_verified() is True


@pytest.mark.django_db
def test_the_staff_login_name_is_not_case_sensitive(client, officer):
    response = client.post(
        STAFF_LOGIN, {"username": " WangFang ", "password": PASSWORD, "otp_token": totp_now(officer.user)}
    )

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(officer.user.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept_language, message", [("zh-hans", GENERIC_ZH), ("en", GENERIC_EN)], ids=["zh", "en"]
)
def test_every_staff_failure_says_the_same_thing(client, citizen, officer, accept_language, message):
    right_code = totp_now(officer.user)
    attempts = {
        "unknown account": {"username": "nobody", "password": PASSWORD, "otp_token": right_code},
        "wrong password": {"username": "wangfang", "password": "Wrong-horse-42", "otp_token": right_code},
        "wrong code": {"username": "wangfang", "password": PASSWORD, "otp_token": totp_wrong(officer.user)},
        # A citizen with the right password is not staff.
        "citizen account": {"username": RESIDENT_ID, "password": PASSWORD, "otp_token": right_code},
    }
    summaries = {}
    for cause, data in attempts.items():
        response = client.post(STAFF_LOGIN, data, HTTP_ACCEPT_LANGUAGE=accept_language)
        assert response.status_code == 200, cause
        assert response.context["form"].non_field_errors() == [message], cause
        summaries[cause] = error_summary(response)
        assert not signed_in(client), cause

    assert len(set(summaries.values())) == 1
    assert failures("nobody") == 1
    assert failures("wangfang") == 2  # the wrong password and the wrong code
    assert failures(RESIDENT_ID) == 1
    assert User.objects.filter(last_login__isnull=False).count() == 0


@pytest.mark.django_db
def test_a_malformed_code_is_a_field_error_and_no_attempt(client, officer):
    response = client.post(STAFF_LOGIN, {"username": "wangfang", "password": PASSWORD, "otp_token": "12ab"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"otp_token": ["请输入6位数字的动态验证码"]}
    assert AccessAttempt.objects.count() == 0
    assert not signed_in(client)


@pytest.mark.django_db
def test_the_code_field_helps_phones_and_password_managers(client):
    page = client.get(STAFF_LOGIN).content.decode()

    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="current-password"' in page
    assert 'aria-describedby="id_otp_token_helptext"' in page


# Lockout --------------------------------------------------------------------------------------


def fail_five_times(client, url, data, *, vary_user_agent: bool):
    """Five failed sign-ins; with vary_user_agent each comes from another client, so only the
    login name can be what locks."""
    responses = []
    for attempt in range(5):
        agent = f"browser-{attempt}" if vary_user_agent else "one-browser"
        responses.append(client.post(url, data, HTTP_USER_AGENT=agent))
    return responses


@pytest.mark.django_db
@pytest.mark.parametrize("username", [RESIDENT_ID, "110101199003077777"], ids=["existing", "nonexistent"])
def test_five_failures_lock_the_login_name_whether_or_not_it_exists(client, citizen, username):
    responses = fail_five_times(
        client, LOGIN, {"username": username, "password": "Wrong-horse-42"}, vary_user_agent=True
    )

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    # Locked now even with the right password, from yet another client.
    response = client.post(LOGIN, {"username": username, "password": PASSWORD}, HTTP_USER_AGENT="fresh-browser")
    assert response.status_code == 429
    assert not signed_in(client)
    assert User.objects.get(pk=citizen.user.pk).last_login is None


@pytest.mark.django_db
def test_the_lockout_page_is_the_same_for_an_existing_and_a_nonexistent_account(client, citizen):
    pages = {}
    for username in (RESIDENT_ID, "110101199003077777"):
        responses = fail_five_times(
            client, LOGIN, {"username": username, "password": "Wrong-horse-42"}, vary_user_agent=True
        )
        pages[username] = main_text(responses[-1])

    assert pages[RESIDENT_ID] == pages["110101199003077777"]
    assert pages[RESIDENT_ID] == (
        "暂时无法登录 登录失败次数过多。为保护账号安全，登录已暂停一段时间。 请在 15 分钟后再试。 返回门户首页"
    )
    assert RESIDENT_ID not in pages[RESIDENT_ID]


@pytest.mark.django_db
def test_the_lockout_page_in_english(client, citizen):
    for attempt in range(5):
        response = client.post(
            LOGIN, {"username": RESIDENT_ID, "password": "Wrong-horse-42"}, HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 429
    assert main_text(response) == (
        "Sign-in is paused There were too many failed attempts to sign in. To protect accounts, "
        "signing in is paused for a while. You can try again in 15 minutes. Go to the portal home"
    )


@pytest.mark.django_db
def test_one_client_trying_many_names_is_locked(client, department):
    names = [f"guess{n}" for n in range(5)]
    statuses = [client.post(LOGIN, {"username": name, "password": "x"}).status_code for name in names]

    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.django_db
def test_wrong_totp_codes_count_as_failures_and_lock_the_officer_out(client, officer):
    wrong = totp_wrong(officer.user)
    responses = fail_five_times(
        client, STAFF_LOGIN, {"username": "wangfang", "password": PASSWORD, "otp_token": wrong}, vary_user_agent=True
    )

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert failures("wangfang") == 5
    response = client.post(
        STAFF_LOGIN,
        {"username": "wangfang", "password": PASSWORD, "otp_token": totp_now(officer.user)},
        HTTP_USER_AGENT="fresh-browser",
    )
    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.django_db
def test_the_lockout_records_hold_no_resident_id(client, citizen):
    client.post(LOGIN, {"username": RESIDENT_ID, "password": "Wrong-horse-42"})

    attempt = AccessAttempt.objects.get()
    assert attempt.username.startswith("rid:") and RESIDENT_ID not in attempt.username
    assert RESIDENT_ID not in attempt.post_data and "Wrong-horse-42" not in attempt.post_data


@pytest.mark.django_db
def test_a_success_clears_earlier_failures(client, citizen):
    client.post(LOGIN, {"username": RESIDENT_ID, "password": "Wrong-horse-42"})
    assert failures(RESIDENT_ID) == 1

    client.post(LOGIN, {"username": RESIDENT_ID, "password": PASSWORD})

    assert failures(RESIDENT_ID) == 0


# Redirects after sign-in ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/workspace/loops/", "/workspace/loops/"),
        ("/components/?page=2", "/components/?page=2"),
        ("https://evil.example/", "/workspace/"),
        ("//evil.example/", "/workspace/"),
        ("/\\evil.example/", "/workspace/"),
        ("javascript:alert(1)", "/workspace/"),
    ],
)
def test_only_a_next_page_on_this_site_is_followed(client, officer, next_url, expected):
    response = client.post(
        f"{STAFF_LOGIN}?next={next_url}",
        {"username": "wangfang", "password": PASSWORD, "otp_token": totp_now(officer.user), "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.django_db
def test_an_unsafe_next_is_not_echoed_into_the_form(client):
    page = client.get(f"{LOGIN}?next=https://evil.example/").content.decode()
    main = re.search(r"<main.*?</main>", page, re.S).group(0)

    # (The header's language form carries the whole current URL back, and set_language checks it.)
    assert "evil.example" not in main


@pytest.mark.django_db
def test_a_safe_next_is_kept_in_the_form(client):
    page = client.get(f"{STAFF_LOGIN}?next=/workspace/").content.decode()

    assert '<input type="hidden" name="next" value="/workspace/">' in page


# Pages that need a sign-in --------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_pages_send_visitors_to_the_staff_sign_in(client):
    response = client.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"] == "/account/staff/login/?next=/workspace/"


@pytest.mark.django_db
def test_staff_pages_send_citizens_to_the_staff_sign_in(client, citizen):
    client.force_login(citizen.user, backend="zhengtong.kernel.identity.backends.AccountBackend")

    response = client.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"] == "/account/staff/login/?next=/workspace/"


@pytest.mark.django_db
def test_staff_pages_refuse_an_officer_without_the_second_factor(client, officer):
    # force_login skips the TOTP step: a session like one opened through the admin site.
    client.force_login(officer.user, backend="zhengtong.kernel.identity.backends.AccountBackend")

    response = client.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"] == "/account/staff/login/?next=/workspace/"


# Sign-out -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_out_is_a_post_and_ends_the_session(client, citizen):
    client.post(LOGIN, {"username": RESIDENT_ID, "password": PASSWORD})

    assert client.get("/account/logout/").status_code == 405
    assert signed_in(client)

    response = client.post("/account/logout/", follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert not signed_in(client)
    assert "您已退出登录。" in response.content.decode()


def test_url_names_are_what_other_modules_reverse():
    assert reverse("identity:login") == LOGIN
    assert reverse("identity:staff-login") == STAFF_LOGIN
    assert reverse("identity:logout") == "/account/logout/"
    assert reverse("identity-me") == "/api/v1/me"
