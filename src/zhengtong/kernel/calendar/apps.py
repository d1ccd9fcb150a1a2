from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "zhengtong.kernel.calendar"
    label = "calendar"
    verbose_name = "工作日"
