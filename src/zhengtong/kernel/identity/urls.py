from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("login/", views.portal_login, name="login"),
    path("staff/login/", views.staff_login, name="staff-login"),
    path("logout/", views.logout_view, name="logout"),
]
