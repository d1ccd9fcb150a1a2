from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "zhengtong.data.exchange"
    label = "exchange"
    verbose_name = "共享交换"

    def ready(self):
        # Event handlers: a new dataset version is published to its sharing service; registry
        # changes reach subscribers of the registry services (一处变更、全网同步).
        from . import handlers  # noqa: F401
