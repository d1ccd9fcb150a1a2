from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.portal_home, name="portal-home"),
    path("workspace/", views.workspace_home, name="workspace-home"),
    path("large-text/", views.large_text_set, name="large-text"),
    path("components/", views.components, name="components"),
    path("workspace/webhooks/", views.webhook_list, name="webhook-list"),
    path("workspace/webhooks/<uuid:subscription_id>/", views.webhook_detail, name="webhook-detail"),
]
