from django.apps import AppConfig


class LoopsConfig(AppConfig):
    name = "zhengtong.kernel.loops"
    label = "loops"
    verbose_name = "闭环"

    def ready(self):
        # The kind registry alone: importing public here would pull in services and their imports.
        from . import kinds

        # 协办事项: the one kind the kernel itself defines; the others come from their modules.
        kinds.register(kinds.ASSISTANCE)
