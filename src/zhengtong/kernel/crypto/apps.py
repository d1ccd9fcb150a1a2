from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "zhengtong.kernel.crypto"
    label = "crypto"
    verbose_name = "国密"
