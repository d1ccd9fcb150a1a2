from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "zhengtong.kernel.search"
    label = "search"
    verbose_name = "检索"
