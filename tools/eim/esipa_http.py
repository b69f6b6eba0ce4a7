"""ESipa's HTTP side (SGP.32 6.1: HTTPS with server authentication; 6.1.2 the ASN.1 binding:
POST ``/gsma/rsp2/asn1`` with one DER ESipa message, ``application/x-gsma-rsp-asn1``), for
both ends that serve it: the eIM (:mod:`.server`, the IPA's requests) and the IPA that takes
the eIM's pushes (:mod:`euicc_tools.lpa.listen`, 6.3.3.1). The request handler answers 404
elsewhere and 400 for a body that is empty or over :data:`MAX_BODY`; what a body gets is the
caller's ``handle``."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from . import esipa

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20

# body -> (HTTP status, answer or None, what to do once the answer is sent, or None)
Handle = Callable[[bytes], tuple[int, bytes | None, Callable[[], None] | None]]


def esipa_handler(handle: Handle, server_version: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            log.info("%s %s", self.address_string(), fmt % args)

        def _reply(self, status: int, body: bytes | None) -> None:
            self.send_response(status)
            self.send_header("X-Admin-Protocol", esipa.ADMIN_PROTOCOL)
            if body:
                self.send_header("Content-Type", esipa.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            if body:
                self.wfile.write(body)
            self.wfile.flush()

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path != esipa.PATH:
                self._reply(404, None)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._reply(400, None)
                return
            status, answer, after = handle(self.rfile.read(length))
            self._reply(status, answer)
            if after is not None:
                after()

    Handler.server_version = server_version
    return Handler


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The TLS server side: TLS 1.2 or later, the certificate and key given (PEM)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
