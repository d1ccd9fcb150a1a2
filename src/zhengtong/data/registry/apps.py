from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhengtong.data.registry"
    label = "registry"
    verbose_name = "基础库"

    def ready(self):
        from zhengtong.kernel.loops.public import register_loop_kind

        from .services import REGISTRY_REVIEW

        # 人工核查: pairs the linkage is unsure of, on a data officer's desk.
        register_loop_kind(REGISTRY_REVIEW)
