"""A directory served over plain HTTP on 127.0.0.1 for the length of a ``with`` block.

The book's PDF printer, the benchmark of the reader's page loads and the browser tests all open local
files through a server rather than ``file://``, because Chromium treats ``file://`` pages as opaque
origins (fonts, fetches and the theme's scripts behave unlike on the published site).

    with serve(Path("_build/html")) as url:   # "http://127.0.0.1:<free port>"
        ...
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """The standard library's static-file handler without its line per request on stderr."""

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A tab closed while a file was still on its way (a crawl moves on at once): the browser hung up,
        # nothing went wrong on this side. Anything else is reported as usual.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path, handler: type[http.server.SimpleHTTPRequestHandler] = QuietHandler):
    """Serve ``directory`` with ``handler`` on a free port of 127.0.0.1; yields the base URL (no trailing /)."""
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
