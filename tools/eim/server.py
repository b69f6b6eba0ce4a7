"""ESipa over HTTP or HTTPS (SGP.32 6.1: HTTPS with server authentication; 6.1.2 the ASN.1
binding): POST ``/gsma/rsp2/asn1`` with one DER EsipaMessageFromIpaToEim, the answer one
DER EsipaMessageFromEimToIpa (200), nothing (204) for a notification, 400 for a body that is
not an ESipa message this eIM serves (a relay request that does not decode is answered 200
with its function's undefinedError instead, :mod:`.relay`), 404 elsewhere. Loopback by
default."""

from __future__ import annotations

import logging
import threading
from http.server import ThreadingHTTPServer

from . import esipa
from .esipa_http import esipa_handler, server_context
from .service import EimService

log = logging.getLogger(__name__)


def _handle_for(service: EimService):
    def handle(body: bytes) -> tuple[int, bytes | None, None]:
        try:
            answer = service.handle(body)
        except esipa.EsipaError as exc:
            log.info("refused: %s", exc)
            return 400, None, None
        return (204 if answer is None else 200), answer, None

    return handle


def serve(service: EimService, host: str = "127.0.0.1", port: int = 0,
          tls: bool = True) -> ThreadingHTTPServer:
    """Start in a daemon thread; returns the server (``.server_address``, ``.shutdown()``)."""
    httpd = ThreadingHTTPServer((host, port),
                                esipa_handler(_handle_for(service), "euicc-emu-eim"))
    if tls:
        context = server_context(*service.credentials.tls_files)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True, name="esipa").start()
    return httpd
