from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "zhengtong.services.guide"
    label = "guide"
    verbose_name = "政务服务事项"
