"""Staff pages of the guide under /workspace/guide/: the implementation lists an officer keeps,
editing one (elements and materials), publishing and suspending it, and the spreadsheet import
and export. What a page lists and lets change is decided by the selectors and services; another
department's list is a 404, the same as one that does not exist."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import staff_required

from . import selectors, services
from .models import ImplementationStatus
from .spreadsheet import SpreadsheetError, guide_export, guide_import
from .workspace_forms import (
    ImplementationForm,
    ImportForm,
    MaterialFormSet,
    NewImplementationForm,
    SuspendForm,
    material_initial,
)

STATUS_TONES = {ImplementationStatus.DRAFT: "warning", ImplementationStatus.PUBLISHED: "success",
                ImplementationStatus.SUSPENDED: "danger"}
STATUS_LABELS = dict(ImplementationStatus.choices)
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _implementation_or_404(actor, public_id):
    try:
        return selectors.access_implementation(actor=actor, public_id=public_id)
    except (ObjectDoesNotExist, PermissionDenied):
        raise Http404(_("No implementation list of yours has this id")) from None


@staff_required
@require_GET
def implementation_list(request):
    """The implementation lists the officer keeps, newest change first."""
    from django.core.paginator import Paginator

    status = request.GET.get("status", "")
    status = status if status in ImplementationStatus.values else ""
    query = request.GET.get("q", "").strip()[:100]
    rows = selectors.implementation_list_editable(actor=request.actor, query=query, status=status or None)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "guide/workspace/list.html", {
        "page_obj": page,
        "rows": [{"implementation": row, "status_label": STATUS_LABELS[row.status], "tone": STATUS_TONES[row.status]}
                 for row in page.object_list],
        "status": status,
        "query": query,
        "statuses": ImplementationStatus.choices,
    })


def _service_errors(error: ValidationError, form, formset, material_forms) -> None:
    """Put a service's errors on the fields they name; a material's on its own row."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        for item in errors:
            params = item.params or {}
            if key == "materials" and "position" in params and "problem" in params and material_forms:
                material_forms[params["position"] - 1].add_error(None, str(params["problem"]))
            elif key == "materials":
                formset_errors = formset._non_form_errors if formset._non_form_errors is not None else []
                formset._non_form_errors = formset.error_class([*formset_errors, *item.messages])
            elif key in form.fields:
                form.add_error(key, item.messages)
            else:
                form.add_error(None, item.messages)


def _materials_from(formset) -> list[dict]:
    """The material rows filled in and not marked for removal, in order."""
    rows = []
    for number, material_form in enumerate(formset.forms):
        blank_extra = number >= formset.initial_form_count() and not material_form.has_changed()
        if blank_extra or material_form.cleaned_data.get("DELETE"):
            continue
        rows.append(material_form)
    return rows


@staff_required
@require_http_methods(["GET", "POST"])
def implementation_edit(request, public_id):
    implementation = _implementation_or_404(request.actor, public_id)
    materials = list(implementation.materials.order_by("position", "id"))
    if request.method == "POST":
        form = ImplementationForm(request.POST)
        formset = MaterialFormSet(request.POST, prefix="materials",
                                  initial=[material_initial(m) for m in materials])
        if form.is_valid() and formset.is_valid():
            material_forms = _materials_from(formset)
            data = {**form.cleaned_data}
            payload = [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in material_forms]
            try:
                services.implementation_update(actor=request.actor, public_id=implementation.public_id, data=data,
                                               materials=payload)
            except ValidationError as error:
                _service_errors(error, form, formset, material_forms)
            else:
                messages.success(request, _("The implementation list is saved."))
                return redirect("guide_workspace:edit", public_id=implementation.public_id)
    else:
        form = ImplementationForm(initial=ImplementationForm.initial_from(implementation))
        formset = MaterialFormSet(prefix="materials", initial=[material_initial(m) for m in materials])
    return render(request, "guide/workspace/edit.html", {
        "implementation": implementation,
        "form": form,
        "formset": formset,
        "status_label": STATUS_LABELS[implementation.status],
        "tone": STATUS_TONES[implementation.status],
        "may_publish": implementation.status != ImplementationStatus.PUBLISHED,
        "may_suspend": implementation.status == ImplementationStatus.PUBLISHED,
        "suspend_form": SuspendForm(),
        "forms_with_errors": [f for f in [form, *formset.forms] if f.errors],
    })


@staff_required
@require_http_methods(["GET", "POST"])
def implementation_new(request):
    if request.method == "POST":
        form = NewImplementationForm(request.POST)
        formset = MaterialFormSet(request.POST, prefix="materials")
        if form.is_valid() and formset.is_valid():
            material_forms = _materials_from(formset)
            data = {k: v for k, v in form.cleaned_data.items() if k not in ("item_code", "division")}
            payload = [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in material_forms]
            try:
                implementation = services.implementation_create(
                    actor=request.actor, item_code=form.cleaned_data["item_code"],
                    division_code=form.cleaned_data["division"], data=data, materials=payload)
            except PermissionDenied:
                form.add_error("department", _("You do not keep the implementation lists of this department"))
            except ValidationError as error:
                if hasattr(error, "error_dict") and "item" in error.error_dict:
                    error.error_dict["item_code"] = error.error_dict.pop("item")
                _service_errors(error, form, formset, material_forms)
            else:
                messages.success(request, _("The implementation list is saved as a draft."))
                return redirect("guide_workspace:edit", public_id=implementation.public_id)
    else:
        form = NewImplementationForm(initial={"process": "standard", "online": True, "mobile": True, "visits": 0})
        formset = MaterialFormSet(prefix="materials")
    return render(request, "guide/workspace/edit.html", {
        "implementation": None,
        "form": form,
        "formset": formset,
        "forms_with_errors": [f for f in [form, *formset.forms] if f.errors],
    })


@staff_required
@require_POST
def implementation_publish(request, public_id):
    implementation = _implementation_or_404(request.actor, public_id)
    try:
        services.implementation_publish(actor=request.actor, public_id=implementation.public_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The implementation list is published: applicants can find it and apply."))
    return redirect("guide_workspace:edit", public_id=implementation.public_id)


@staff_required
@require_http_methods(["GET", "POST"])
def implementation_suspend(request, public_id):
    implementation = _implementation_or_404(request.actor, public_id)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.implementation_suspend(actor=request.actor, public_id=implementation.public_id,
                                            reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason" if "reason" in getattr(error, "error_dict", {}) else None,
                           error.messages)
        else:
            messages.success(request, _("The implementation list is suspended: no new applications."))
            return redirect("guide_workspace:edit", public_id=implementation.public_id)
    return render(request, "guide/workspace/suspend.html", {"implementation": implementation, "form": form})


@staff_required
@require_GET
def guide_export_download(request):
    content = guide_export(actor=request.actor)
    response = HttpResponse(content, content_type=XLSX)
    name = f"guide-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def guide_import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = guide_import(actor=request.actor, content=upload.read())
        except SpreadsheetError as error:
            problems = error.messages
            form.add_error("file", _("Nothing was imported: the file has %(count)s problems, listed below.")
                           % {"count": len(problems)})
        else:
            messages.success(request, _(
                "Imported: %(items)s items created and %(updated)s changed; %(created)s implementation lists created, "
                "%(changed)s changed, %(published)s published.") % {
                "items": result.items_created, "updated": result.items_updated,
                "created": result.implementations_created, "changed": result.implementations_updated,
                "published": result.published})
            return redirect("guide_workspace:list")
    return render(request, "guide/workspace/import.html", {"form": form, "problems": problems})
