"""CKAN's Action API, mounted at /api/3/action/ (the root URLconf). One view answers every action
name, as CKAN's does: an unknown name is CKAN's 400 "Action name not known"."""

from django.urls import path

from . import ckan

urlpatterns = [
    path("<str:name>", ckan.action_view, name="ckan-action"),
]

# The same actions at /api/action/ (ckanapi's RemoteCKAN calls that path; CKAN answers both). Its
# own name, so reversing "ckan-action" keeps giving the versioned path CKAN's "help" links use.
unversioned_urlpatterns = [
    path("<str:name>", ckan.action_view, name="ckan-action-unversioned"),
]
