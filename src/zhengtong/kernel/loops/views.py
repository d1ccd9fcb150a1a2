"""Pages: the cases of my department, and one case with its history and the actions I may take."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhengtong.kernel.identity.decorators import staff_required

from . import selectors, services
from .forms import ACTION_FORMS, CaseFilterForm
from .models import Case

PAGE_SIZE = 25

# Each action's service, called with the form's cleaned data as keyword arguments.
ACTION_SERVICES = {
    "assign": services.case_assign,
    "accept": services.case_accept,
    "respond": services.case_respond,
    "verify": services.case_verify,
    "close": services.case_close,
    "reopen": services.case_reopen,
    "appeal": services.case_appeal,
    "appeal_decide": services.case_appeal_decide,
}
ACTION_DONE = {
    "assign": _("The case has been assigned."),
    "accept": _("The case has been accepted."),
    "respond": _("The response has been sent for verification."),
    "verify": _("The verification has been recorded."),
    "close": _("The case has been closed."),
    "reopen": _("The case has been reopened."),
    "appeal": _("The appeal has been lodged."),
    "appeal_decide": _("The appeal has been decided."),
}
ACTION_BUTTONS = {
    "assign": _("Assign"),
    "accept": _("Accept the case"),
    "respond": _("Send the response"),
    "verify": _("Record the verification"),
    "close": _("Close the case"),
    "reopen": _("Reopen the case"),
    "appeal": _("Lodge the appeal"),
    "appeal_decide": _("Record the decision"),
}
ACTION_HEADINGS = {
    "assign": _("Assign to a department"),
    "accept": _("Accept"),
    "respond": _("Respond"),
    "verify": _("Verify the response"),
    "close": _("Close as resolved"),
    "reopen": _("Reopen"),
    "appeal": _("Appeal"),
    "appeal_decide": _("Decide the appeal"),
}


@staff_required
def case_list(request):
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = selectors.case_list(
        actor=request.actor,
        state=filters.get("state") or None,
        kind=filters.get("kind") or None,
        overdue=filters.get("overdue") or None,
    )
    page_obj = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "loops/case_list.html", {"form": form, "page_obj": page_obj})


def _access(request, public_id) -> Case:
    try:
        return selectors.access_case(actor=request.actor, public_id=public_id)
    except Case.DoesNotExist:
        raise Http404 from None


def _detail(request, case: Case, *, failed_action: str | None = None, failed_form=None, status: int = 200):
    actions = []
    for action in selectors.case_available_actions(actor=request.actor, case=case):
        form = failed_form if action == failed_action else ACTION_FORMS[action](actor=request.actor, prefix=action)
        actions.append({
            "name": action, "form": form, "heading": ACTION_HEADINGS[action], "button": ACTION_BUTTONS[action],
        })
    if failed_action and failed_action not in {entry["name"] for entry in actions}:
        # The action is no longer open (the case moved on, e.g. in another tab): still show why.
        actions.insert(0, {
            "name": failed_action, "form": failed_form, "heading": ACTION_HEADINGS[failed_action],
            "button": None,
        })
    return render(
        request,
        "loops/case_detail.html",
        {"case": case, "history": selectors.case_history(case=case), "actions": actions, "failed_form": failed_form},
        status=status,
    )


@staff_required
def case_detail(request, public_id):
    return _detail(request, _access(request, public_id))


@require_POST
@staff_required
def case_action(request, public_id, action):
    if action not in ACTION_FORMS:
        raise Http404
    case = _access(request, public_id)
    form = ACTION_FORMS[action](request.POST, actor=request.actor, prefix=action)
    if form.is_valid():
        try:
            ACTION_SERVICES[action](actor=request.actor, case=case, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, ACTION_DONE[action])
            return redirect("loops:case-detail", public_id=case.public_id)
    # Read again: a refused action changed nothing, but the case may have moved on meanwhile.
    return _detail(request, _access(request, public_id), failed_action=action, failed_form=form, status=400)
