"""gunicorn settings for Doorstep (``gunicorn -c gunicorn.conf.py "server.app:create_app()"``).

Every value can be overridden by the environment: WEB_CONCURRENCY (workers), PORT or
DOORSTEP_BIND, DOORSTEP_TIMEOUT, FORWARDED_ALLOW_IPS (the reverse proxy's address).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("DOORSTEP_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# SQLite takes one writer at a time; a few workers keep reads flowing while one writes.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
# The sync worker, writing gunicorn's own refusals (414, 431, 400) as problem+json.
worker_class = "server.worker.ProblemWorker"
# A push of 500 mutations or a large import runs inside one request.
timeout = int(os.environ.get("DOORSTEP_TIMEOUT", "120"))
# On SIGTERM, finish requests in flight (a push commits whole or not at all) before exiting.
graceful_timeout = 30
keepalive = 5
# A pull's cursor names every patch a caller holds, so URLs can be long: the longest
# request line gunicorn allows (its default is 4094). The app refuses a URL over 8000
# bytes itself (MAX_URL_BYTES), as problem+json. Headers keep gunicorn's limits.
limit_request_line = 8190
# Recycle workers now and then, staggered, so no memory creep builds up.
max_requests = 2000
max_requests_jitter = 200
# Doorstep logs each request itself, as JSON with its request id (server/observability.py).
accesslog = None
errorlog = "-"
loglevel = "info"
# Trust X-Forwarded-* only from the reverse proxy that terminates TLS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once a worker has loaded the app, the objects it made (some 150,000: modules,
    routes, schemas) live as long as the worker: they are moved out of reach of Python's
    cycle collector, whose full passes over them cost about 70 ms on whatever request set
    one off. What loading left as garbage is collected first, not kept for good."""
    gc.collect()
    gc.freeze()
