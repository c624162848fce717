"""The embedded AWS emulator: moto's server, applying one request at a time.

DynamoDB's transactions are serializable; moto's are not under concurrent requests (a cancelled
transaction restores a copy of each table it touched, erasing what other threads wrote meanwhile,
and conditional writes race).  Serving one request at a time gives the local stack the
guarantees the code relies on in AWS, so concurrent clients of `make run` and of the live-stack
tests see what they would see there.  Used by scripts/devserver.py and tests/live_stack.py,
which also widen the API server's connection backlog (``accept_many``).
"""
from __future__ import annotations

import threading

from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app
from werkzeug.serving import make_server


def one_request_at_a_time(app):
    """Wrap a WSGI app so that requests are applied one after the other, each whole."""
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return serialised


class SerialMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` whose requests never overlap, and whose ``start`` raises
    ``OSError`` when it cannot listen (moto's waits forever for a server that never came up)."""

    _failure: BaseException | None = None

    def application(self):
        """The WSGI app served (the conflict benchmark wraps it: bench/conflicts.py)."""
        return one_request_at_a_time(DomainDispatcherApplication(create_backend_app))

    def _server_entry(self) -> None:
        from moto.server import MotoRequestHandler

        app = self.application()
        try:
            self._server = make_server(self._ip_address, self._port, app, True,
                                       request_handler=MotoRequestHandler)
        except BaseException as error:  # werkzeug calls sys.exit on a port in use
            self._failure = error
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        super().start()
        if isinstance(self._failure, OSError):
            raise self._failure
        if self._failure is not None:  # werkzeug printed the reason and exited
            raise OSError(None, "could not listen (reason above)") from self._failure


CONNECTION_BACKLOG = 128


def accept_many(dev_server):
    """Let chalice's local server queue many simultaneous connections (socketserver listens
    with a backlog of 5, so a burst of concurrent clients sees connections reset)."""
    dev_server.server.socket.listen(CONNECTION_BACKLOG)
    return dev_server
