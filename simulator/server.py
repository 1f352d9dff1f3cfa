"""Run a WSGI app (the simulator, a test webhook, the project) on a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """A request handler that does not log every request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log line."""


@dataclass
class RunningServer:
    """A WSGI server serving on a daemon thread."""

    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return self.server.server_port

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self.server.host}:{self.port}"

    def shutdown(self) -> None:
        """Stop serving, close the socket and wait for the thread."""
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
    """Serve a WSGI app on a background thread; port 0 picks a free port."""
    handler = QuietRequestHandler if quiet else WSGIRequestHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"wsgi-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return RunningServer(server, thread)
