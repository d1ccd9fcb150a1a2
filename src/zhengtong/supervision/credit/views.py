"""Pages of 公共信用: a company's or citizen's own credit (with repair applications), the staff page
of a subject (department-scoped, each read logged), and the public list of joint measures."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.identity.public import AccountKind, actor_from_user

from . import selectors, services
from .models import MeasureScene


def subject_required(view_func):
    """A signed-in citizen or company."""

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


def _scenes() -> dict:
    return {value: label for value, label in MeasureScene.choices}


@require_GET
@subject_required
def mine(request):
    view = services.credit_mine(actor=request.actor)
    return render(request, "credit/mine.html", {"credit": view, "scenes": _scenes()})


@require_POST
@subject_required
def repair_apply(request, public_id):
    try:
        services.repair_apply(actor=request.actor, record_id=public_id, proof=request.POST.get("proof", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your repair application was sent to the department that filed the record."))
    return redirect("credit:mine")


@require_GET
@staff_required
def subject(request):
    identifier = request.GET.get("identifier", "").strip()
    context = {"identifier": identifier, "credit": None, "scenes": _scenes()}
    if identifier:
        try:
            context["credit"] = services.credit_subject_read(actor=request.actor, identifier=identifier,
                                                             purpose=request.GET.get("purpose", ""))
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
    return render(request, "credit/subject.html", context)


@require_GET
def measures(request):
    return render(request, "credit/measures.html", {"measures": selectors.measure_list(), "scenes": _scenes()})


@require_GET
@staff_required
def repairs(request):
    return render(request, "credit/repairs.html", {"requests": selectors.repair_queue(actor=request.actor)})


@require_POST
@staff_required
def repair_decide(request, public_id):
    approve = request.POST.get("decision") == "approve"
    try:
        services.repair_decide(actor=request.actor, request_id=public_id, approve=approve,
                               note=request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The repair application is decided."))
    return redirect("credit:repairs")
