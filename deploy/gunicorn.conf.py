"""Production web server settings: gunicorn in front of Zhengtong's WSGI application.

    gunicorn -c deploy/gunicorn.conf.py                      # binds 127.0.0.1:8000
    GUNICORN_BIND=0.0.0.0:8000 WEB_CONCURRENCY=9 gunicorn -c deploy/gunicorn.conf.py

Run it behind a reverse proxy (nginx or the load balancer) that terminates TLS and serves nothing
but proxying. `zhengtong bench share` starts its server with this very file (with the bench
settings and its own port), so the figures in docs/benchmarks.md are those of this configuration.

Every setting can be overridden from the environment (the names below) or on gunicorn's command
line (`--bind`, `--workers`, …), which wins over this file.
"""

import multiprocessing
import os

wsgi_app = "zhengtong.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes do the Python work (one GIL each); threads in each let a process go on while one
# request waits on PostgreSQL (a gateway call commits its log before answering). 2 x cores + 1
# processes is gunicorn's own advice; of 2, 3 or 5 processes with 4 or 8 threads, 5 x 4 gave the
# sharing gateway the most calls/s and the lowest p99 on the 2-core bench machine, with
# PostgreSQL and the load generator on the same cores (docs/benchmarks.md, "share").
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Keep-alive between the proxy (or load generator) and gunicorn, and a cap on slow requests.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Recycle a worker now and then, so a slow leak in a library cannot grow without bound; the jitter
# keeps workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# Each worker imports the application itself (no preload): a worker restarted by max_requests
# picks up nothing stale, and no database connection or key material is shared across a fork.
preload_app = False

# No access log on stdout (the proxy keeps one; sharing calls are logged in the ledger, every one);
# errors and worker restarts to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Behind a proxy on the same host: trust its X-Forwarded-* headers only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Production Django settings, unless the environment says otherwise. Persistent database
# connections: one per worker thread, kept for 10 minutes, so a request does not pay for
# connecting to PostgreSQL (several milliseconds with TLS and authentication).
raw_env_defaults = {
    "DJANGO_SETTINGS_MODULE": "zhengtong.settings.base",
    "DATABASE_CONN_MAX_AGE": "600",
}
for _name, _value in raw_env_defaults.items():
    os.environ.setdefault(_name, _value)
