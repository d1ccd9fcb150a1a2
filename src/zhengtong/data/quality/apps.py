from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "zhengtong.data.quality"
    label = "quality"
    verbose_name = "数据治理"

    def ready(self):
        from zhengtong.kernel.events.public import register_handler
        from zhengtong.kernel.loops.public import register_loop_kind

        from .handlers import HANDLERS
        from .services import PROBLEM_DATA

        # 数据质量问题: problem loops on the owner department's desk.
        register_loop_kind(PROBLEM_DATA)
        for name, func in HANDLERS.items():
            register_handler(name, func)
