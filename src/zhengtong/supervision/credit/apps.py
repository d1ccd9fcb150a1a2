from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "zhengtong.supervision.credit"
    label = "credit"
    verbose_name = "公共信用"

    def ready(self):
        from zhengtong.kernel.events.public import register_handler
        from zhengtong.services.applications.public import register_decision_hook

        from .handlers import HANDLERS
        from .measures import HOOK_NAME, approval_hook

        # 联合奖惩 in approvals: one indexed query per submission (measures.approval_hook).
        register_decision_hook(HOOK_NAME, approval_hook)
        for name, func in HANDLERS.items():
            register_handler(name, func)
