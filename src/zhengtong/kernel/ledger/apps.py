from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "zhengtong.kernel.ledger"
    label = "ledger"
    verbose_name = "可信存证"
