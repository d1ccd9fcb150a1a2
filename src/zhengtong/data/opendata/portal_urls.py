"""The portal's public pages: search (the front page), dataset pages, previews and downloads."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("search/", views.portal_home, name="search"),
    path("datasets/<str:code>/", views.dataset_detail, name="dataset"),
    path("datasets/<str:code>/preview/", views.dataset_preview, name="preview"),
    path("datasets/<str:code>/download.<str:fmt>", views.dataset_download, name="download"),
]
