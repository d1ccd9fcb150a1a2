"""Playwright on Debian's Chromium, with an axe check and a screenshot for every page visited.

Never a downloaded browser: /usr/bin/chromium comes from apt (scripts/ensure-chromium).
"""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# axe impact levels that fail a test; "minor" and "moderate" are printed but tolerated.
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module.

    Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    calls from a thread with a running loop; DJANGO_ALLOW_ASYNC_UNSAFE lifts that, for as long as
    the browser lives only, so the other tests keep Django's guard.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def make_check_page(page, axe):
    """check_page("name"): screenshot the page to test-artifacts/name.png and fail on any serious
    or critical axe violation (all violations are printed)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def check(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        violations = axe.run(page).response["violations"]
        if violations:
            print(f"axe on {name} ({page.url}):")
            for violation in violations:
                targets = [node["target"] for node in violation["nodes"]]
                print(f"  [{violation['impact']}] {violation['id']}: {violation['help']} {json.dumps(targets)}")
        blocking = [v["id"] for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert blocking == [], f"{name}: {blocking}"

    return check


@pytest.fixture
def check_page(page, axe):
    return make_check_page(page, axe)


@pytest.fixture
def signed_in(browser, live_server, people):
    """signed_in("name", width=1280): a page signed in as one of the module's `people` (the sign-in
    pages have journeys of their own), through a session made by the test client."""
    from django.conf import settings
    from django.test import Client

    contexts = []

    def sign_in(name: str, *, width: int = 1280):
        client = Client()
        client.force_login(people.users[name], backend="zhengtong.kernel.identity.backends.AccountBackend")
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield sign_in
    for context in contexts:
        context.close()
