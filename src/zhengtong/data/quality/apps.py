from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "zhengtong.data.quality"
    label = "quality"
    verbose_name = "数据治理"
