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


def _contacts(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(email, mobile) of each user: mobiles from the citizen accounts, emails only where the
    user model has the field (accounts here may have none)."""
    from zhengtong.kernel.identity.models import Citizen, User

    emails: dict[int, str] = {}
    if any(field.name == "email" for field in User._meta.concrete_fields):
        emails = {pk: email or "" for pk, email in User.objects.filter(pk__in=user_ids).values_list("pk", "email")}
    mobiles = dict(Citizen.objects.filter(user_id__in=user_ids).values_list("user_id", "mobile"))
    return {user_id: (emails.get(user_id, ""), mobiles.get(user_id) or "") for user_id in user_ids}


class _Copies:
    """The copies of the notices one transaction (or one savepoint of it) made, sent in one go
    when it commits: the contacts are looked up once for all of them."""

    def __init__(self):
        self.notices: list[Notice] = []

    def __call__(self) -> None:
        contacts = _contacts({notice.user_id for notice in self.notices})
        for notice in self.notices:
            email, mobile = contacts[notice.user_id]
            message = OutgoingNotice(notice.user_id, email, mobile, notice.title, notice.body, notice.url)
            for adapter in adapters():
                try:
                    adapter.send(message)
                except Exception:
                    logger.exception("notice adapter %s failed for notice %s", type(adapter).__name__,
                                     notice.public_id)


def _copies_after_commit(notice: Notice) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        scope = list(connection.savepoint_ids)
        for savepoints, callback, _robust in connection.run_on_commit:
            # Only a batch of the same savepoint: a rolled-back savepoint drops its batch with it.
            if isinstance(callback, _Copies) and list(savepoints) == scope:
                callback.notices.append(notice)
                return
    copies = _Copies()
    copies.notices.append(notice)
    # robust: a failing adapter setup must not turn the committed action into an error.
    transaction.on_commit(copies, robust=True)


def notice_create(*, user_id: int, title: str, body: str = "", url: str = "", application=None) -> Notice:
    """The in-app notice now (in the caller's transaction), its copies after commit."""
    notice = Notice.objects.create(user_id=user_id, application=application, title=str(title)[:200],
                                   body=str(body), url=url[:255])
    _copies_after_commit(notice)
    return notice
