from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "zhengtong.data.opendata"
    label = "opendata"
    verbose_name = "数据开放"

    def ready(self):
        # Event handlers: a catalog change or a new version re-syncs the dataset's public face.
        from . import handlers  # noqa: F401
