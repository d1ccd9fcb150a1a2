"""Notices (消息提醒): an in-app Notice row for the user, and copies by email or SMS through
adapters named in the setting NOTICE_ADAPTERS (dotted paths). The default is the console adapter,
which only logs: nothing is ever sent for real unless a deployment names a real adapter.

Copies go out after the transaction commits, so a rolled-back action notifies nobody.

An adapter is a class with `send(message: OutgoingNotice) -> None`; it may raise, which is
logged (the in-app notice is the record, the copies are a courtesy).
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

from .models import Notice

logger = logging.getLogger("zhengtong.notices")

DEFAULT_ADAPTERS = ("zhengtong.services.applications.notices.ConsoleAdapter",)


@dataclass(frozen=True)
class OutgoingNotice:
    user_id: int
    email: str
    mobile: str
    title: str
    body: str
    url: str


class ConsoleAdapter:
    """Writes the notice to the log (development, tests and any deployment without a gateway)."""

    def send(self, message: OutgoingNotice) -> None:
        logger.info("notice to user %s (email %s, SMS %s): %s", message.user_id, message.email or "-",
                    message.mobile[:3] + "****" + message.mobile[-4:] if message.mobile else "-", message.title)


class EmailAdapter:
    """A copy by email through Django's mail backend (EMAIL_BACKEND decides how it leaves)."""

    def send(self, message: OutgoingNotice) -> None:
        if message.email:
            body = f"{message.body}\n\n{message.url}" if message.url else message.body
            send_mail(message.title, body, None, [message.email])


class SmsAdapter:
    """The shape of an SMS gateway's adapter: a deployment subclasses it and sends in `deliver`
    through its operator's API; this one only logs the (masked) number and the text."""

    def send(self, message: OutgoingNotice) -> None:
        if message.mobile:
            self.deliver(message.mobile, f"【政通】{message.title}")

    def deliver(self, mobile: str, text: str) -> None:
        logger.info("SMS to %s: %s", mobile[:3] + "****" + mobile[-4:], text)


@lru_cache(maxsize=8)
def _adapters(paths: tuple[str, ...]) -> tuple:
    return tuple(import_string(path)() for path in paths)


def adapters() -> tuple:
    return _adapters(tuple(getattr(settings, "NOTICE_ADAPTERS", DEFAULT_ADAPTERS)))


def _contact(user_id: int) -> tuple[str, str]:
    from zhengtong.kernel.identity.models import Citizen, User

    user = User.objects.filter(pk=user_id).first()
    email = (getattr(user, "email", "") or "") if user else ""  # accounts may have no email at all
    citizen = Citizen.objects.filter(user_id=user_id).only("mobile").first()
    return email, (citizen.mobile or "") if citizen else ""


def _send_copies(notice_id: int) -> None:
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return
    email, mobile = _contact(notice.user_id)
    message = OutgoingNotice(notice.user_id, email, mobile, notice.title, notice.body, notice.url)
    for adapter in adapters():
        try:
            adapter.send(message)
        except Exception:
            logger.exception("notice adapter %s failed for notice %s", type(adapter).__name__, notice.public_id)


def notice_create(*, user_id: int, title: str, body: str = "", url: str = "", application=None) -> Notice:
    """The in-app notice now (in the caller's transaction), its copies after commit."""
    notice = Notice.objects.create(user_id=user_id, application=application, title=str(title)[:200],
                                   body=str(body), url=url[:255])
    transaction.on_commit(lambda: _send_copies(notice.pk))
    return notice
