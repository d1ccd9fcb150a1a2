from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "zhengtong.kernel.events"
    label = "events"
    verbose_name = "事件"
