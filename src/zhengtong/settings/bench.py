"""Settings of the sharing benchmark's web server (`zhengtong bench share`).

Production's settings (base.py, read from the environment: DEBUG off unless ZHENGTONG_DEBUG) with
one addition: the URLconf mounts the bare key-lookup view the gateway is measured against
(zhengtong.data.exchange.bench_views) in front of production's URLs. Never deploy with this module.
"""

from .base import *  # noqa: F403

ROOT_URLCONF = "zhengtong.data.exchange.bench_views"
DEBUG = False
