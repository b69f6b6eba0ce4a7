"""ES9+ over HTTPS (SGP.22 6.5 "ES9+ ... HTTP/JSON binding"): POST
/gsma/rsp2/es9plus/<function> with a JSON body; answers JSON with the
functionExecutionStatus header, or 204 for handleNotification.

Built for many devices at once (issue 14): a thread per connection, HTTP/1.1 connections
kept alive between the functions of a download, the TLS handshake made in the connection's
own thread (with a timeout), not in the one that accepts, so a slow or silent client delays
nobody else, and a listen backlog for a burst of devices connecting together."""

from __future__ import annotations

import json
import logging
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .es9 import Es9Error, Smdp

log = logging.getLogger(__name__)
PREFIX = "/gsma/rsp2/es9plus/"
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 60.0  # seconds a kept-alive connection (or a TLS handshake) may stay silent
BACKLOG = 512  # connections waiting to be accepted (socketserver's default is 5)


class Es9Server(ThreadingHTTPServer):
    """ThreadingHTTPServer whose TLS (when ``tls_context`` is set) is set up per connection
    in the connection's thread."""

    request_queue_size = BACKLOG
    tls_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        if self.tls_context is not None:
            request.settimeout(IDLE_TIMEOUT)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.info("%s: TLS handshake failed: %s", client_address[0], exc)
                return
        super().finish_request(request, client_address)


def _handler_for(smdp: Smdp):
    functions = {
        "initiateAuthentication": smdp.initiate_authentication,
        "authenticateClient": smdp.authenticate_client,
        "getBoundProfilePackage": smdp.get_bound_profile_package,
        "handleNotification": smdp.handle_notification,
        "cancelSession": smdp.cancel_session,
    }

    class Handler(BaseHTTPRequestHandler):
        server_version = "euicc-emu-smdp"
        protocol_version = "HTTP/1.1"
        timeout = IDLE_TIMEOUT  # an idle kept-alive connection ends, its thread too
        # headers and body leave in two writes: without TCP_NODELAY the body waits for the
        # client's delayed ACK (about 40 ms per answer on Linux)
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # route to logging, not stderr
            log.info("%s %s", self.address_string(), fmt % args)

        def _reply(self, status: int, body: dict | None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("X-Admin-Protocol", "gsma/rsp/v2.2.0")
            if body is not None:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            name = self.path[len(PREFIX):] if self.path.startswith(PREFIX) else None
            function = functions.get(name)
            if function is None:
                self._reply(404, {"error": f"no ES9+ function at {self.path}"})
                return
            length = int(self.headers.get("Content-Length", 0))
            if not 0 < length <= MAX_BODY:
                self._reply(400, {"error": "missing or oversized body"})
                return
            try:
                body = json.loads(self.rfile.read(length))
                if not isinstance(body, dict):
                    raise ValueError("body is not a JSON object")
            except ValueError as exc:
                self._reply(400, {"error": f"bad JSON: {exc}"})
                return
            try:
                result = function(body)
            except Es9Error as err:
                log.info("%s failed: %s", name, err)
                self._reply(200, {"header": {"functionExecutionStatus": {
                    "status": "Failed", "statusCodeData": {
                        "subjectCode": err.subject, "reasonCode": err.reason,
                        "message": err.message}}}})
                return
            if name == "handleNotification":
                self._reply(204, None)
                return
            result["header"] = {"functionExecutionStatus": {"status": "Executed-Success"}}
            self._reply(200, result)

    return Handler


def serve(smdp: Smdp, host: str, port: int, tls: bool = True) -> ThreadingHTTPServer:
    """Start the server in a daemon thread; returns it (``.server_address``, ``.shutdown()``)."""
    httpd = Es9Server((host, port), _handler_for(smdp))
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        tls_dir = Path(smdp.pki) / "DPtls"
        context.load_cert_chain(tls_dir / "CERT_S_SM_DP_TLS_NIST.pem",
                                tls_dir / "SK_S_SM_DP_TLS_NIST.pem")
        httpd.tls_context = context
    threading.Thread(target=httpd.serve_forever, daemon=True, name="es9plus").start()
    return httpd
