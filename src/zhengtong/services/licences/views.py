"""Pages of licences: the holder's wallet with 亮证 (a show code as a QR) and the requesters' asks
(share, decline, withdraw), the public verification
page, and the issuing department's workspace (suspend, reinstate, revoke)."""

import json
from functools import wraps

import segno
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.identity.public import AccountKind, actor_from_user

from . import requests, selectors, services
from .errors import LicenceError, LicenceNotFound
from .forms import ReasonForm, VerifyForm
from .pdf import MAX_PDF_BYTES


def holder_required(view_func):
    """A signed-in citizen or company (a licence holder); staff get 403."""

    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        if user.kind not in (AccountKind.CITIZEN, AccountKind.COMPANY):
            raise PermissionDenied
        request.actor = actor_from_user(user)
        return view_func(request, *args, **kwargs)

    return wrapped


def _own_licence(request, public_id):
    try:
        licence = selectors.access_licence(actor=request.actor, licence_id=public_id)
    except LicenceNotFound:
        raise Http404 from None
    if licence.holder_user_id != request.actor.user_id:
        raise Http404
    return licence


@require_GET
@holder_required
def wallet(request):
    licences = selectors.licence_list_mine(actor=request.actor)
    asks = []
    for ask in requests.licence_requests_mine(actor=request.actor):
        state = requests.request_state(ask)
        if state in ("expired", "ended"):
            continue
        choices = [licence for licence in licences if licence.type_id == ask.licence_type_id
                   and licence.state == "active"] if state == "pending" else []
        asks.append({"request": ask, "state": state, "choices": choices})
    return render(request, "licences/wallet.html", {"licences": licences, "asks": asks})


REQUEST_ACTIONS = {"share", "decline", "withdraw"}


@require_POST
@holder_required
def request_decide(request, public_id, action):
    """The holder shares a licence with a requester, declines, or withdraws a share."""
    if action not in REQUEST_ACTIONS:
        raise Http404
    try:
        if action == "share":
            requests.licence_request_share(actor=request.actor, request_id=public_id,
                                           licence_id=request.POST.get("licence", ""))
            messages.success(request, _("The licence is shared. You can withdraw it here at any time."))
        elif action == "decline":
            requests.licence_request_decline(actor=request.actor, request_id=public_id)
            messages.success(request, _("You declined the request."))
        else:
            requests.licence_request_withdraw(actor=request.actor, request_id=public_id)
            messages.success(request, _("The share is withdrawn: the requester can no longer read the licence."))
    except LicenceNotFound:
        raise Http404 from None
    except LicenceError as error:
        messages.error(request, error.message)
    return redirect("licences:wallet")


@require_GET
@holder_required
def licence_detail(request, public_id):
    licence = _own_licence(request, public_id)
    return render(request, "licences/detail.html", {"licence": licence, "fields": _labelled_fields(licence)})


@require_POST
@holder_required
def licence_show(request, public_id):
    licence = _own_licence(request, public_id)
    try:
        token, expires = services.show_token_create(actor=request.actor, licence_id=licence.public_id)
    except LicenceError as error:
        messages.error(request, str(error.message))
        return redirect("licences:detail", public_id=licence.public_id)
    # segno escapes nothing it is not given: the token is base64url and a dot, so the SVG is ours.
    qr = mark_safe(segno.make(token, error="m").svg_inline(scale=4))  # noqa: S308
    return render(request, "licences/detail.html", {"licence": licence, "fields": _labelled_fields(licence),
                                                    "token": token, "expires": expires, "qr": qr})


@require_GET
@holder_required
def licence_pdf(request, public_id):
    licence = _own_licence(request, public_id)
    try:
        licence, document = services.licence_pdf_get(actor=request.actor, licence_id=licence.public_id)
    except LicenceNotFound:
        raise Http404 from None
    except LicenceError as error:
        messages.error(request, str(error.message))
        return redirect("licences:detail", public_id=licence.public_id)
    return pdf_response(licence, document)


def pdf_response(licence, document: bytes) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="licence-{licence.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _labelled_fields(licence) -> list[tuple[str, object]]:
    titles = {spec["name"]: spec.get("title", spec["name"]) for spec in licence.type.schema}
    return [(titles.get(name, name), value) for name, value in licence.fields.items()]


def _verify_arguments(code: str) -> dict:
    """What was typed or scanned: a licence's QR payload (JSON), a show code (body.signature) or a number."""
    code = code.strip()
    if code.startswith("{"):
        try:
            payload = json.loads(code)
        except ValueError:
            payload = {}
        return {"payload": payload if isinstance(payload, dict) else {}}
    if "." in code:
        return {"token": code}
    return {"number": code}


def uploaded_pdf(upload) -> bytes:
    """An uploaded file's bytes, read no further than one byte past the limit (pdf_read refuses it)."""
    return upload.read(MAX_PDF_BYTES + 1)


@require_http_methods(["GET", "POST"])
def verify(request):
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    form = VerifyForm(data, request.FILES if request.method == "POST" else None)
    result = None
    if data is not None and form.is_valid():
        actor = actor_from_user(request.user)
        if form.cleaned_data.get("pdf"):
            result = services.licence_verify(actor=actor, pdf=uploaded_pdf(form.cleaned_data["pdf"]))
        else:
            result = services.licence_verify(actor=actor, **_verify_arguments(form.cleaned_data["code"]))
        # An empty field for the next scan: a scanner gun types into the field it finds focused.
        form = VerifyForm()
    return render(request, "licences/verify.html", {"form": form, "result": result,
                                                    "check_names": _check_names()})


def _check_names() -> dict[str, str]:
    return {"token": _("Show code"), "found": pgettext("电子证照", "Licence"), "signature": _("Seal signature"),
            "document": pgettext("电子证照", "PDF document"),
            "ledger": _("Ledger"), "state": _("State"), "validity": pgettext("电子证照", "Validity"),
            "issuer": _("Issuer"), "type": _("Licence type")}


@require_GET
@staff_required
def workspace(request):
    if not request.actor.is_staff_member:
        raise PermissionDenied
    return render(request, "licences/workspace.html",
                  {"licences": selectors.licence_list_issued(actor=request.actor), "form": ReasonForm()})


STAFF_ACTIONS = {
    "suspend": services.licence_suspend,
    "reinstate": services.licence_reinstate,
    "revoke": services.licence_revoke,
}


@require_POST
@staff_required
def workspace_act(request, public_id, action):
    if action not in STAFF_ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        licence = STAFF_ACTIONS[action](actor=request.actor, licence_id=public_id, reason=reason)
    except LicenceNotFound:
        raise Http404 from None
    except LicenceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Licence %(number)s is now %(state)s.")
                         % {"number": licence.number, "state": licence.get_state_display()})
    return redirect("licences:workspace")
