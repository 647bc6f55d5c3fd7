"""gunicorn settings for Matchpoint: `gunicorn -c gunicorn.conf.py 'app:create_app()'`.

Workers are processes (the model's work is CPU-bound Python), one request at a time each.
Every worker builds its own app after the fork (`preload_app` off), so it owns its
database pool (one connection in use at a time: see app/database.py) and loads the model
and the language models once, before it accepts its first request. Everything workers
share lives in the database and the model folder: the playbook cache in each worker is
checked against the database at most every PLAYBOOK_RECHECK_SECONDS (1 s), the memos of
recent turns and of stored suggestion events only save work (a miss costs a recomputation).
"""

import multiprocessing
import os

bind = os.environ.get("MATCHPOINT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MATCHPOINT_WORKERS", multiprocessing.cpu_count()))
# The sentence encoder's threads (classifier.meaning): the cores shared among the workers.
os.environ.setdefault("MATCHPOINT_ENCODER_THREADS", str(max(1, multiprocessing.cpu_count() // workers)))
worker_class = "sync"
threads = 1
preload_app = False  # an engine or a socket built before the fork must not be shared by workers
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 20000  # recycle workers now and then: bounded memory over weeks of uptime
max_requests_jitter = 2000
accesslog = os.environ.get("MATCHPOINT_ACCESS_LOG")  # None: off (the app logs what matters)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Load the model and lingua's language models (~2 s) before the worker takes requests."""
    from app.classification import get_classifier

    try:
        with worker.wsgi.app_context():
            get_classifier()
    except Exception as error:  # no model yet: the worker still serves everything else
        worker.log.warning("model not loaded at start: %s", error)
