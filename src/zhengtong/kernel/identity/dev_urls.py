"""Development-only pages, mounted under /dev/ when DEBUG is on (see zhengtong.urls)."""

from django.urls import path

from . import views

app_name = "dev"
urlpatterns = [
    path("demo-login/", views.demo_login, name="demo-login"),
]
