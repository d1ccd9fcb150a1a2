"""Pages of the catalog (数据资源目录): browse and search, register, describe, schema, rules."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.org.public import Role

from . import permissions, selectors, services
from .descriptors import SchemaInvalid
from .forms import DatasetForm, RetireForm, RuleForm, SchemaForm, SearchForm
from .models import Dataset, QualityRule, RuleKind
from .public import rules_for
from .selectors import DatasetFilters
from .vocabularies import Theme

PAGE_SIZE = 25
REGISTRARS = (Role.DATA_OFFICER, Role.BIG_DATA_ADMIN)

# A starting point for a dataset's first schema.
SCHEMA_TEMPLATE = {
    "fields": [
        {"name": "id_number", "title": "公民身份号码", "type": "string", "domainType": "resident_id",
         "maskingKind": "resident_id", "constraints": {"required": True, "unique": True}},
        {"name": "name", "title": "姓名", "type": "string", "maskingKind": "name", "constraints": {"required": True}},
    ],
    "primaryKey": ["id_number"],
    "missingValues": [""],
}


def _access(request, public_id) -> Dataset:
    try:
        return selectors.access_dataset(actor=request.actor, public_id=public_id)
    except Dataset.DoesNotExist:
        raise Http404 from None


def _access_for_edit(request, public_id) -> Dataset:
    dataset = _access(request, public_id)
    if not selectors.dataset_may_edit(actor=request.actor, dataset=dataset):
        raise PermissionDenied
    return dataset


def _facet_links(request, facets) -> list[dict]:
    """Each facet value with the link that selects it (or, when selected, removes it)."""
    groups = []
    for facet in facets:
        values = []
        for value in facet.values:
            params = request.GET.copy()
            params.pop("page", None)
            if value.selected:
                params.pop(facet.name, None)
            else:
                params[facet.name] = value.value
            values.append({"value": value, "href": "?" + params.urlencode() if params else "?"})
        groups.append({"facet": facet, "values": values})
    return groups


@staff_required
def dataset_list(request):
    form = SearchForm(request.GET or None)
    query = form.query() if request.GET else ""
    selections = form.selections() if request.GET else {}
    result = selectors.dataset_list(actor=request.actor, query=query, filters=DatasetFilters(**selections))
    paginator = Paginator(result.datasets, PAGE_SIZE)
    paginator.count = result.total  # already counted by the selector
    page_obj = paginator.get_page(request.GET.get("page"))
    active = {name: value for name, value in selections.items() if value is not None}
    return render(request, "catalog/dataset_list.html", {
        "form": form,
        "query": query,
        "page_obj": page_obj,
        "total": result.total,
        "facet_groups": _facet_links(request, result.facets),
        "active_filters": active,
        "may_register": permissions.may_register(request.actor),
    })


@staff_required(roles=REGISTRARS)
def dataset_create(request):
    departments = selectors.registration_departments(actor=request.actor)
    form = DatasetForm(request.POST or None, departments=departments, registering=True)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.dataset_create(actor=request.actor, **form.service_arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The dataset has been registered as a draft. Add its table schema next."))
            return redirect("catalog:dataset-detail", public_id=dataset.public_id)
    return render(request, "catalog/dataset_form.html", {"form": form, "dataset": None},
                  status=400 if form.errors else 200)


def _loads_url(dataset: Dataset) -> str | None:
    # The loads page belongs to ingest; until it is mounted there is simply no link.
    try:
        return reverse("ingest:dataset-loads", kwargs={"public_id": dataset.public_id})
    except NoReverseMatch:
        return None


@staff_required
def dataset_detail(request, public_id):
    dataset = _access(request, public_id)
    schema = selectors.schema_current(dataset=dataset)
    declared, derived = _rule_rows(dataset)
    return render(request, "catalog/dataset_detail.html", {
        "dataset": dataset,
        "schema": schema,
        "fields": _field_rows(schema.descriptor) if schema else [],
        "primary_key": (_primary_key(schema.descriptor) if schema else []),
        "versions": selectors.schema_versions(dataset=dataset),
        "rules": declared,
        "derived_rules": derived,
        "theme_label": Theme(dataset.theme).label if dataset.theme in Theme.values else "",
        "changes": selectors.dataset_changes(dataset=dataset, limit=20),
        "may_edit": selectors.dataset_may_edit(actor=request.actor, dataset=dataset),
        "loads_url": _loads_url(dataset),
        "retire_form": RetireForm(),
    })


def _rule_rows(dataset: Dataset) -> tuple[list[dict], list[dict]]:
    """The declared rules and those the schema implies, as the rule tables show them."""
    declared = [
        {"code": rule.code, "kind_label": rule.get_kind_display(), "field": rule.field,
         "params_json": json.dumps(rule.params, ensure_ascii=False) if rule.params else "",
         "description": rule.description, "is_active": rule.is_active}
        for rule in selectors.dataset_rules(dataset=dataset)
    ]
    derived = [
        {"code": rule.code, "kind_label": RuleKind(rule.kind).label, "field": rule.field,
         "fields": list(rule.params.get("fields", []))}
        for rule in rules_for(dataset.id) if rule.derived
    ]
    return declared, derived


def _field_rows(descriptor: dict) -> list[dict]:
    """Schema fields with their constraints written as JSON (true, ["男", "女"]), as typed."""
    return [
        {**field, "constraint_items": [(key, json.dumps(value, ensure_ascii=False))
                                       for key, value in (field.get("constraints") or {}).items()]}
        for field in descriptor.get("fields", [])
    ]


def _primary_key(descriptor: dict) -> list[str]:
    key = descriptor.get("primaryKey") or []
    return [key] if isinstance(key, str) else list(key)


@staff_required
def dataset_edit(request, public_id):
    dataset = _access_for_edit(request, public_id)
    form = DatasetForm(request.POST or None, initial=DatasetForm.initial_from(dataset), registering=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.dataset_update(actor=request.actor, dataset=dataset, **form.service_arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The catalog entry has been saved."))
            return redirect("catalog:dataset-detail", public_id=dataset.public_id)
    return render(request, "catalog/dataset_form.html", {"form": form, "dataset": dataset},
                  status=400 if form.errors else 200)


def _state_change(request, public_id, service, done_message, **kwargs):
    dataset = _access_for_edit(request, public_id)
    try:
        service(actor=request.actor, dataset=dataset, **kwargs)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message)
    return redirect("catalog:dataset-detail", public_id=dataset.public_id)


@require_POST
@staff_required
def dataset_publish(request, public_id):
    return _state_change(request, public_id, services.dataset_publish,
                         _("The dataset is published: every staff member can now find it in the catalog."))


@require_POST
@staff_required
def dataset_retire(request, public_id):
    form = RetireForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _state_change(request, public_id, services.dataset_retire,
                         _("The dataset has been retired from the catalog."), reason=reason)


@staff_required
def schema_edit(request, public_id):
    dataset = _access_for_edit(request, public_id)
    current = selectors.schema_current(dataset=dataset)
    initial = json.dumps(current.descriptor if current else SCHEMA_TEMPLATE, ensure_ascii=False, indent=2)
    form = SchemaForm(request.POST or None, initial={"descriptor": initial})
    if request.method == "POST" and form.is_valid():
        try:
            schema = services.schema_version_create(
                actor=request.actor, dataset=dataset, descriptor=form.cleaned_data["descriptor"]
            )
        except SchemaInvalid as error:
            form.add_error("descriptor", [problem.message for problem in error.problems])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Version %(version)s of the table schema has been saved.")
                             % {"version": schema.version})
            return redirect("catalog:dataset-detail", public_id=dataset.public_id)
    return render(request, "catalog/schema_form.html", {"form": form, "dataset": dataset, "current": current},
                  status=400 if form.errors else 200)


@staff_required
def rule_create(request, public_id):
    dataset = _access(request, public_id)
    may_edit = selectors.dataset_may_edit(actor=request.actor, dataset=dataset)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    schema = selectors.schema_current(dataset=dataset)
    field_names = [f["name"] for f in schema.descriptor.get("fields", [])] if schema else []
    form = RuleForm(request.POST or None, field_names=field_names) if may_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.actor, dataset=dataset, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The rule %(code)s has been added.") % {"code": rule.code})
            return redirect("catalog:rule-create", public_id=dataset.public_id)
    declared, derived = _rule_rows(dataset)
    return render(request, "catalog/rules.html", {
        "dataset": dataset,
        "form": form,
        "rules": declared,
        "derived_rules": derived,
        "may_edit": may_edit,
        "show_deactivate": True,
    }, status=400 if form is not None and form.errors else 200)


@require_POST
@staff_required
def rule_deactivate(request, public_id, code):
    dataset = _access_for_edit(request, public_id)
    try:
        rule = selectors.dataset_rule_get(dataset=dataset, code=code)
    except QualityRule.DoesNotExist:
        raise Http404 from None
    try:
        services.rule_deactivate(actor=request.actor, rule=rule)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The rule %(code)s no longer applies to new loads.") % {"code": code})
    return redirect("catalog:rule-create", public_id=dataset.public_id)
