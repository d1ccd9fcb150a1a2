from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IdentityConfig(AppConfig):
    name = "zhengtong.kernel.identity"
    label = "identity"
    verbose_name = "统一身份认证"

    def ready(self):
        from .authentication import api_client_cache_clear
        from .models import ApiClient

        # Cache invalidation, not domain logic: a key deactivated in this process stops working
        # here at once (other processes drop their copy within AUTH_CACHE_SECONDS).
        post_save.connect(api_client_cache_clear, sender=ApiClient, dispatch_uid="identity.api_client_cache")
        post_delete.connect(api_client_cache_clear, sender=ApiClient, dispatch_uid="identity.api_client_cache_del")
