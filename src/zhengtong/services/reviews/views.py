"""Pages of 好差评: the applicant's review form and their reviews, the public statistics, and the
department's open bad reviews (which never show who reviewed)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.identity.public import AccountKind, actor_from_user
from zhengtong.services.applications.public import application_ref_get

from . import selectors, services
from .forms import FixRatingForm, NoteForm, ReviewForm
from .models import Review
from .services import CHINA


def applicant_required(view_func):
    """A signed-in citizen or company; staff get 403 (they do not review their own service)."""

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


def _errors_onto(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            if field.startswith("indicators."):
                target = f"indicator_{field.split('.', 1)[1]}"
                target = target if target in form.fields else None
            for message in (m for e in errors for m in e.messages):
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@require_http_methods(["GET", "POST"])
@applicant_required
def review_new(request, application_id):
    ref = application_ref_get(application_id)
    if ref is None or ref.applicant_user_id != request.actor.user_id:
        raise Http404
    if selectors.review_exists(actor=request.actor, application_id=ref.public_id):
        messages.info(request, _("You have already reviewed this application."))
        return redirect("reviews:mine")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_create(actor=request.actor, application_id=ref.public_id,
                                   level=form.cleaned_data["level"], channel="online",
                                   indicators=form.indicators(), comment=form.cleaned_data["comment"])
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            messages.success(request, _("Thank you: your review is recorded."))
            return redirect("reviews:mine")
    return render(request, "reviews/new.html", {"form": form, "application": ref,
                                                "indicator_fields": [f for f in form if f.name.startswith("indicator_")]})


@require_GET
@applicant_required
def mine(request):
    rows = selectors.own_review_list(actor=request.actor)
    return render(request, "reviews/mine.html", {"reviews": rows, "fix_form": FixRatingForm()})


@require_POST
@applicant_required
def rate_fix(request, public_id):
    try:
        review = selectors.access_own_review(actor=request.actor, public_id=public_id)
    except Review.DoesNotExist:
        raise Http404 from None
    form = FixRatingForm(request.POST)
    if form.is_valid():
        try:
            services.review_fix_rate(actor=request.actor, review_id=review.public_id,
                                     accepted=form.cleaned_data["accepted"], note=form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you: your rating of the fix is recorded."))
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("reviews:mine")


@require_GET
def statistics(request):
    by = request.GET.get("by", "department")
    if by not in selectors.GROUPINGS:
        by = "department"
    return render(request, "reviews/statistics.html", {"rows": selectors.review_statistics(by=by), "by": by})


@require_GET
@staff_required
def workspace(request):
    if not request.actor.is_staff_member:
        raise PermissionDenied
    rows = selectors.open_bad_review_list(actor=request.actor, today=timezone.localdate(timezone=CHINA))
    return render(request, "reviews/workspace.html", {"reviews": rows, "form": NoteForm()})


STAFF_ACTIONS = {
    "callback": lambda actor, review, note: services.review_callback(actor=actor, review_id=review, note=note),
    "rectify": lambda actor, review, note: services.review_rectify(actor=actor, review_id=review, rectification=note),
    "appeal": lambda actor, review, note: services.review_appeal(actor=actor, review_id=review, reason=note),
}


@require_POST
@staff_required
def workspace_act(request, public_id, action):
    if action not in STAFF_ACTIONS:
        raise Http404
    try:
        review = selectors.access_department_review(actor=request.actor, public_id=public_id)
    except Review.DoesNotExist:
        raise Http404 from None
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        STAFF_ACTIONS[action](request.actor, review.public_id, form.cleaned_data.get("note", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Recorded."))
    return redirect("reviews:workspace")
