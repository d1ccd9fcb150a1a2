from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "zhengtong.supervision.supervision"
    label = "supervision"
    verbose_name = "互联网+监管"

    def ready(self):
        from zhengtong.kernel.events.public import register_handler
        from zhengtong.kernel.loops.public import register_loop_kind

        from .handlers import HANDLERS
        from .loop_kinds import item_review_kind, rectification_kind, risk_clue_kind

        register_loop_kind(item_review_kind())
        register_loop_kind(rectification_kind())
        register_loop_kind(risk_clue_kind())
        for name, func in HANDLERS.items():
            register_handler(name, func)
