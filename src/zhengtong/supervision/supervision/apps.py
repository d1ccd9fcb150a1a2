from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "zhengtong.supervision.supervision"
    label = "supervision"
    verbose_name = "互联网+监管"
