from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "zhengtong.data.ingest"
    label = "ingest"
    verbose_name = "数据归集"
