from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "zhengtong.demo"
    label = "demo"
    verbose_name = "演示省份"
