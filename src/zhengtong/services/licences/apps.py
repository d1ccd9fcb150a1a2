from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "zhengtong.services.licences"
    label = "licences"
    verbose_name = "电子证照"

    def ready(self):
        from zhengtong.services.applications.public import register_evidence_provider

        from . import handlers  # noqa: F401  (registers the event handlers)
        from .evidence import licence_evidence

        register_evidence_provider("licence", licence_evidence)
