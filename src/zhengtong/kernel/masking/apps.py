from django.apps import AppConfig


class MaskingConfig(AppConfig):
    name = "zhengtong.kernel.masking"
    label = "masking"
    verbose_name = "脱敏"
