from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhengtong.web"
    label = "web"
    verbose_name = "Web"
