from django.apps import AppConfig


class OnethingConfig(AppConfig):
    name = "zhengtong.services.onething"
    label = "onething"
    verbose_name = "一件事"
