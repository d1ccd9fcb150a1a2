"""The community's pages under /opendata/ (namespace "opendata", names prefixed "community-"):
applications for on-application data, data requests, showcases and the openness index."""

from django.urls import path

from . import community_views as views

urlpatterns = [
    path("datasets/<str:code>/apply/", views.application_new, name="community-apply"),
    path("applications/", views.application_list, name="community-applications"),
    path("applications/<uuid:public_id>/withdraw/", views.application_withdraw, name="community-application-withdraw"),
    path("requests/", views.data_request_list, name="community-requests"),
    path("requests/new/", views.data_request_new, name="community-request-new"),
    path("requests/mine/", views.data_request_mine, name="community-requests-mine"),
    path("requests/<uuid:public_id>/verify/", views.data_request_verify, name="community-request-verify"),
    path("showcases/", views.showcase_list, name="community-showcases"),
    path("showcases/new/", views.showcase_new, name="community-showcase-new"),
    path("index/", views.openness_index_page, name="community-index"),
]
