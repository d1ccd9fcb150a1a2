"""Settings of the submission benchmark's web server (`zhengtong bench apply`).

Production's settings, as settings.bench gives them to the sharing benchmark, with the URLconf of
the submission benchmark: the bare insert view (zhengtong.services.applications.bench_views) in
front of the sharing benchmark's bare view and production's URLs. Never deploy with this module.
"""

from .bench import *  # noqa: F403

ROOT_URLCONF = "zhengtong.services.applications.bench_views"
