from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "zhengtong.data.opendata"
    label = "opendata"
    verbose_name = "数据开放"

    def ready(self):
        # Event handlers: a catalog change or a new version re-syncs the dataset's public face.
        from zhengtong.kernel.loops.public import register_loop_kind

        from . import handlers  # noqa: F401
        from .loop_kinds import OPENDATA_REQUEST

        register_loop_kind(OPENDATA_REQUEST)
