from django.apps import AppConfig


class OnethingConfig(AppConfig):
    name = "zhengtong.services.onething"
    label = "onething"
    verbose_name = "一件事"

    def ready(self):
        # A part's application concluding (or sent back, or resubmitted) moves its bundle's state.
        from . import handlers  # noqa: F401
