"""Requesters (DigiLocker's third role, beside issuers and verifiers): a bank, an insurer or another
platform — an API client with the scope `licences:request` — asks for a holder's licence of one
type, for a stated purpose; the holder sees the ask in their wallet and shares one of their
licences of that type for LICENCE_REQUEST_SHARE_DAYS, or declines; they may withdraw a share at any
time. While shared, the requester reads the licence as issued (its sealed payload and signature,
and the verification's checks) as often as it needs.

Every step — the ask, the decision, each read and each refused read — is entered in the ledger
under the holder's subject ref, so the holder's access log (mydata, 谁用了我的数据) shows it. A
request naming an identifier no account holds is kept unseen and lapses like any other: the
requester learns nothing about who has an account.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.data.exchange.public import subject_ref
from zhengtong.kernel.crypto.fields import blind_index_filter
from zhengtong.kernel.identity.models import ApiClient, Citizen, Company
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse, uscc_parse
from zhengtong.kernel.ledger.public import ledger_append

from .errors import LicenceInvalid, LicenceNotFound, LicencePermissionDenied
from .models import Licence, LicenceRequest, LicenceRequestState, LicenceState, LicenceType

REQUEST_SCOPE = "licences:request"
PURPOSE_MAX_LENGTH = 500


def decide_days() -> int:
    """Days a holder has to decide before a pending request lapses."""
    return int(getattr(settings, "LICENCE_REQUEST_DECIDE_DAYS", 7))


def share_days() -> int:
    """Days a share lasts."""
    return int(getattr(settings, "LICENCE_REQUEST_SHARE_DAYS", 30))


def _requester(actor: Actor) -> ApiClient:
    if actor.kind != "api_client" or REQUEST_SCOPE not in actor.roles:
        raise LicencePermissionDenied(_("Only a requester system with the scope “%(scope)s” may ask for licences.")
                                      % {"scope": REQUEST_SCOPE})
    return ApiClient.objects.get(pk=actor.api_client_id)


def _holder_of(identifier: str) -> tuple[str, int | None]:
    """(subject kind, the account's user id or None) of a resident ID or credit code."""
    normalized = "".join(str(identifier or "").split()).upper()
    try:
        number = resident_id_parse(normalized).number
    except IdValidationError:
        number = ""
    if number:
        user_id = (Citizen.objects.filter(blind_index_filter(Citizen, "resident_id", number))
                   .values_list("user_id", flat=True).first())
        return "person", user_id
    try:
        code = uscc_parse(normalized).code
    except IdValidationError:
        raise LicenceInvalid(_("“%(value)s” is neither a resident ID number nor a unified social credit code.")
                             % {"value": normalized[:40]}) from None
    return "company", Company.objects.filter(uscc=code).values_list("user_id", flat=True).first()


def _log(kind: str, request: LicenceRequest, actor_label: str, **payload) -> None:
    ledger_append(kind=kind, subject=request.subject_ref, actor=actor_label, payload={
        "request": str(request.public_id), "api_client": request.requester.name,
        "department": request.requester.department_id, "licence_type": request.licence_type.code,
        "purpose": request.purpose, **payload})


def _client_label(client: ApiClient) -> str:
    return f"api_client:{client.public_id}"


def licence_request_create(*, actor: Actor, holder_identifier: str, type_code: str, purpose: str) -> LicenceRequest:
    """A requester asks for the holder's licence of a type, saying why."""
    client = _requester(actor)
    purpose = (purpose or "").strip()
    if not purpose:
        raise LicenceInvalid(_("Say what the licence is needed for (the purpose): the holder decides on it."))
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise LicenceInvalid(_("The purpose is at most %(count)s characters.") % {"count": PURPOSE_MAX_LENGTH})
    licence_type = LicenceType.objects.filter(code=str(type_code or "")).first()
    if licence_type is None:
        raise LicenceInvalid(_("“%(type)s” is not a licence type.") % {"type": str(type_code)[:64]})
    kind, user_id = _holder_of(holder_identifier)
    normalized = "".join(str(holder_identifier).split()).upper()
    with transaction.atomic():
        request = LicenceRequest.objects.create(
            requester=client, holder_user_id=user_id, subject_ref=subject_ref(kind, normalized),
            licence_type=licence_type, purpose=purpose, expires_at=timezone.now() + timedelta(days=decide_days()))
        _log("licence.request", request, _client_label(client))
    return request


def _lapsed(request: LicenceRequest) -> bool:
    return request.state == LicenceRequestState.PENDING and request.expires_at <= timezone.now()


def request_state(request: LicenceRequest) -> str:
    """The state as the requester and holder read it: a pending request past its time has lapsed,
    a share past its time has ended."""
    now = timezone.now()
    if _lapsed(request):
        return "expired"
    if request.state == LicenceRequestState.APPROVED and request.access_until and request.access_until <= now:
        return "ended"
    return request.state


def licence_request_get(*, actor: Actor, request_id) -> LicenceRequest:
    """The requester's own request (another requester's is not found)."""
    client = _requester(actor)
    request = (LicenceRequest.objects.select_related("licence_type", "requester", "licence")
               .filter(public_id=request_id, requester=client).first())
    if request is None:
        raise LicenceNotFound(_("You made no request with this id."))
    return request


def licence_request_read(*, actor: Actor, request_id) -> Licence:
    """The shared licence, for the requester, while the share lasts; each read is logged (and a
    refused one too: the holder sees that it was tried)."""
    request = licence_request_get(actor=actor, request_id=request_id)
    state = request_state(request)
    if state != LicenceRequestState.APPROVED or request.licence is None:
        with transaction.atomic():
            _log("licence.request.read", request, _client_label(request.requester), outcome=f"refused:{state}")
        raise LicencePermissionDenied(_("The holder has not shared a licence for this request (it is %(state)s).")
                                      % {"state": state})
    with transaction.atomic():
        _log("licence.request.read", request, _client_label(request.requester), licence=request.licence.number,
             outcome="ok")
    return request.licence


# --- the holder's side ---------------------------------------------------------------------------


def licence_requests_mine(*, actor: Actor) -> list[LicenceRequest]:
    """The requests about the holder signed in (never another's), newest first."""
    if actor.kind not in ("citizen", "company") or not actor.user_id:
        return []
    return list(LicenceRequest.objects.select_related("requester__department", "licence_type", "licence")
                .filter(holder_user_id=actor.user_id))


def _own_request(actor: Actor, request_id) -> LicenceRequest:
    request = (LicenceRequest.objects.select_for_update().select_related("requester", "licence_type")
               .filter(public_id=request_id).first())
    if request is None or actor.kind not in ("citizen", "company") or request.holder_user_id != actor.user_id:
        raise LicenceNotFound(_("No request for your licences has this id."))
    return request


def licence_request_share(*, actor: Actor, request_id, licence_id) -> LicenceRequest:
    """The holder shares one of their active licences of the requested type."""
    with transaction.atomic():
        request = _own_request(actor, request_id)
        if request_state(request) != LicenceRequestState.PENDING:
            raise LicenceInvalid(_("This request was already decided or has lapsed."))
        licence = Licence.objects.filter(public_id=licence_id, holder_user_id=actor.user_id,
                                         type=request.licence_type).first()
        if licence is None:
            raise LicenceInvalid(_("Choose one of your licences of the requested type."))
        if licence.state != LicenceState.ACTIVE:
            raise LicenceInvalid(_("Only an active licence can be shared."))
        now = timezone.now()
        request.state, request.licence, request.decided_at = LicenceRequestState.APPROVED, licence, now
        request.access_until = now + timedelta(days=share_days())
        request.save(update_fields=["state", "licence", "decided_at", "access_until"])
        _log("licence.request.shared", request, f"{actor.kind}:{actor.user_id}", licence=licence.number,
             until=request.access_until.isoformat())
    return request


def licence_request_decline(*, actor: Actor, request_id) -> LicenceRequest:
    with transaction.atomic():
        request = _own_request(actor, request_id)
        if request_state(request) != LicenceRequestState.PENDING:
            raise LicenceInvalid(_("This request was already decided or has lapsed."))
        request.state, request.decided_at = LicenceRequestState.DECLINED, timezone.now()
        request.save(update_fields=["state", "decided_at"])
        _log("licence.request.declined", request, f"{actor.kind}:{actor.user_id}")
    return request


def licence_request_withdraw(*, actor: Actor, request_id) -> LicenceRequest:
    """The holder ends a share before its time: the requester's next read is refused."""
    with transaction.atomic():
        request = _own_request(actor, request_id)
        if request.state != LicenceRequestState.APPROVED:
            raise LicenceInvalid(_("Only a shared licence can be withdrawn."))
        request.state = LicenceRequestState.WITHDRAWN
        request.access_until = timezone.now()
        request.save(update_fields=["state", "access_until"])
        _log("licence.request.withdrawn", request, f"{actor.kind}:{actor.user_id}")
    return request
