from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "zhengtong.data.catalog"
    label = "catalog"
    verbose_name = "数据资源目录"
