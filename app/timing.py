"""Server-Timing on every response: how long the app itself took, for benchmarks and browsers."""

from __future__ import annotations

import time

from flask import Flask, Response, g


def _start() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
