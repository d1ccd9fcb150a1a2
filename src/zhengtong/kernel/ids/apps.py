from django.apps import AppConfig


class IdsConfig(AppConfig):
    name = "zhengtong.kernel.ids"
    label = "ids"
    verbose_name = "证件校验"
