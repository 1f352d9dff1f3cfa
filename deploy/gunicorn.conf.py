"""gunicorn settings for Tiefen: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`.

Graceful shutdown: on SIGTERM each worker finishes the requests it holds (WeChat waits 5 s for a
reply) within `graceful_timeout`, then exits. /metrics adds up every process's counters when
PROMETHEUS_MULTIPROC_DIR names a directory (emptied before start): a worker that exits is marked
dead so its live gauges leave the sum.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
graceful_timeout = 10  # seconds a stopping worker may finish what it holds
timeout = 30  # a worker silent this long is killed and replaced


def child_exit(server, worker):  # noqa: ANN001, ANN201  (gunicorn's hook signature)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
