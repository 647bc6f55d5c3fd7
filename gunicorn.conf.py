"""gunicorn settings for Matchpoint: `gunicorn -c gunicorn.conf.py 'app:create_app()'`.

Workers are processes (the model's work is CPU-bound Python); each loads the model once
on its first request. Everything shared lives in the database and the model folder.
"""

import multiprocessing
import os

bind = os.environ.get("MATCHPOINT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MATCHPOINT_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
threads = 1
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 20000  # recycle workers now and then: bounded memory over weeks of uptime
max_requests_jitter = 2000
accesslog = os.environ.get("MATCHPOINT_ACCESS_LOG")  # None: off (the app logs what matters)
