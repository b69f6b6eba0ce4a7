"""ESipa over HTTP or HTTPS (SGP.32 6.1: HTTPS with server authentication; 6.1.2 the ASN.1
binding): POST ``/gsma/rsp2/asn1`` with one DER EsipaMessageFromIpaToEim, the answer one
DER EsipaMessageFromEimToIpa (200), nothing (204) for a notification, 400 for a body that is
not an ESipa message this eIM serves (a relay request that does not decode is answered 200
with its function's undefinedError instead, :mod:`.relay`), 404 elsewhere. Loopback by
default."""

from __future__ import annotations

import logging
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import esipa
from .service import EimService

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


def _handler_for(service: EimService):
    class Handler(BaseHTTPRequestHandler):
        server_version = "euicc-emu-eim"
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

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path != esipa.PATH:
                self._reply(404, None)
                return
            length = int(self.headers.get("Content-Length", 0))
            if not 0 < length <= MAX_BODY:
                self._reply(400, None)
                return
            try:
                answer = service.handle(self.rfile.read(length))
            except esipa.EsipaError as exc:
                log.info("refused: %s", exc)
                self._reply(400, None)
                return
            self._reply(204 if answer is None else 200, answer)

    return Handler


def serve(service: EimService, host: str = "127.0.0.1", port: int = 0,
          tls: bool = True) -> ThreadingHTTPServer:
    """Start in a daemon thread; returns the server (``.server_address``, ``.shutdown()``)."""
    httpd = ThreadingHTTPServer((host, port), _handler_for(service))
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*service.credentials.tls_files)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True, name="esipa").start()
    return httpd
