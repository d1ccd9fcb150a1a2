from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "zhengtong.supervision.credit"
    label = "credit"
    verbose_name = "公共信用"
