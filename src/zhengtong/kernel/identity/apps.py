from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "zhengtong.kernel.identity"
    label = "identity"
    verbose_name = "统一身份认证"
