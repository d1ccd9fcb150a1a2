from django.apps import AppConfig


class LoopsConfig(AppConfig):
    name = "zhengtong.kernel.loops"
    label = "loops"
    verbose_name = "闭环"
