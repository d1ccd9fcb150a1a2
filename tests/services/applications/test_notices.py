"""Notices: in-app rows for the applicant and officers, with email and SMS copies through the
adapters of NOTICE_ADAPTERS after commit (the console adapter by default: nothing is sent)."""

import logging

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from zhengtong.services.applications import selectors, services
from zhengtong.services.applications.models import Notice

from ..conftest import A_MOBILE
from .conftest import act, fill_standard, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


class Recording:
    sent: list = []

    def send(self, message):
        Recording.sent.append(message)


class Broken:
    def send(self, message):
        raise ConnectionError("SMS gateway down")


@pytest.fixture(autouse=True)
def clear():
    Recording.sent = []


def test_copies_go_through_the_adapters_after_commit(people, catalogue, django_capture_on_commit_callbacks):
    draft = fill_standard(people, catalogue)
    with override_settings(NOTICE_ADAPTERS=["tests.services.applications.test_notices.Broken",
                                            "tests.services.applications.test_notices.Recording"]):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            application = submit(people, draft)
        assert Recording.sent == []  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    (message,) = Recording.sent
    assert (message.user_id, message.mobile, message.email, message.title) == (
        people.users["citizen_a"].id, A_MOBILE, "", f"Application {application.reference} received")
    assert message.url == f"/services/my/{application.public_id}/"


def test_the_console_adapter_only_logs(people, catalogue, django_capture_on_commit_callbacks, caplog):
    with caplog.at_level(logging.INFO, logger="zhengtong.notices"):
        with django_capture_on_commit_callbacks(execute=True):
            application = submit(people, fill_standard(people, catalogue))
    assert f"Application {application.reference} received" in caplog.text
    assert "139****4321" in caplog.text and A_MOBILE not in caplog.text
    assert mail.outbox == []


def test_notices_for_each_step_and_reading_them(people, submitted):
    act(people, "window", submitted, "intake", "correct", note="请补充材料")
    mine = list(selectors.notices_mine(actor=people.a))
    assert [n.title for n in mine] == [f"Application {submitted.reference}: please correct it",
                                       f"Application {submitted.reference} received"]
    assert list(selectors.notices_mine(actor=people.b)) == []
    with pytest.raises(PermissionDenied):
        services.notice_read(actor=people.b, notice_id=mine[0].public_id)
    services.notice_read(actor=people.a, notice_id=mine[0].public_id)
    assert [n.public_id for n in selectors.notices_mine(actor=people.a, unread_only=True)] == [mine[1].public_id]
    assert Notice.objects.get(public_id=mine[0].public_id).read_at is not None
