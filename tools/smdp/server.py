"""ES9+ over HTTPS (SGP.22 6.5 "ES9+ ... HTTP/JSON binding"): POST
/gsma/rsp2/es9plus/<function> with a JSON body; answers JSON with the
functionExecutionStatus header, or 204 for handleNotification.

Built for many devices at once (issue 14): a thread per connection, HTTP/1.1 connections
kept alive between the functions of a download, the TLS handshake made in the connection's
own thread (with a timeout), not in the one that accepts, so a slow or silent client delays
nobody else, and a listen backlog for a burst of devices connecting together. Closing the
server (``shutdown`` or ``server_close``) ends its kept-alive connections and joins their
threads: none outlives it, waiting out its idle timeout on a connection a client left
open."""

from __future__ import annotations

import json
import logging
import socket
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
# the SM-DP+'s TLS certificate and its key, in its PKI folder (euicc-emu pki init)
TLS_PAIR = ("DPtls/CERT_S_SM_DP_TLS_NIST.pem", "DPtls/SK_S_SM_DP_TLS_NIST.pem")
JOIN_TIMEOUT = 5.0  # seconds server_close waits for each connection's thread to end


class Es9Server(ThreadingHTTPServer):
    """ThreadingHTTPServer whose TLS (when ``tls_context`` is set) is set up per connection
    in the connection's thread."""

    request_queue_size = BACKLOG
    tls_context: ssl.SSLContext | None = None

    def __init__(self, *args, **kwargs) -> None:
        # each connection's thread and a duplicate of its socket's descriptor: TLS takes the
        # accepted socket's own descriptor over (before its handshake), and a duplicate
        # cannot be closed and reused under us while it is kept here. Made before the
        # socket is bound: a bind that fails (a port in use) calls server_close, which
        # ends these connections, and then raises its OSError.
        self._open: dict[threading.Thread, socket.socket] = {}
        self._open_lock = threading.Lock()
        self._closing = False
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:
        """A thread per connection (as ThreadingMixIn), recorded with its socket so that
        server_close can end it."""
        thread = threading.Thread(target=self.process_request_thread, daemon=True,
                                  args=(request, client_address),
                                  name=f"es9plus connection {client_address[0]}:"
                                       f"{client_address[1]}")
        with self._open_lock:
            if self._closing:
                self.shutdown_request(request)
                return
            self._open[thread] = request.dup()
        thread.start()

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                duplicate = self._open.pop(threading.current_thread(), None)
            if duplicate is not None:
                duplicate.close()

    def finish_request(self, request, client_address) -> None:
        if self.tls_context is not None:
            request.settimeout(IDLE_TIMEOUT)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.info("%s: TLS handshake failed: %s", client_address[0], exc)
                return
        super().finish_request(request, client_address)

    def shutdown(self) -> None:
        """Stop serving and end the open connections (as server_close, which still closes
        the listening socket): callers that only shut down leave no thread either."""
        super().shutdown()
        self._end_connections()

    def server_close(self) -> None:
        """Stop listening, hang up every open connection (a kept-alive one's thread would
        otherwise wait up to IDLE_TIMEOUT for its next request) and join their threads."""
        super().server_close()
        self._end_connections()

    def _end_connections(self) -> None:
        with self._open_lock:
            self._closing = True
            open_now = list(self._open.items())
        for _, connection in open_now:
            _hang_up(connection)
        for thread, _ in open_now:
            thread.join(JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("%s did not end within %.0f s", thread.name, JOIN_TIMEOUT)


def _hang_up(connection: socket.socket) -> None:
    """Shut the connection down under whatever thread reads it (a TLS handshake, or the
    wait for the next request): its read returns at once."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:  # the client has gone already
        pass


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
    context = None
    if tls:  # before the socket is bound: a TLS pair that cannot be read leaves no port taken
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*(Path(smdp.pki) / name for name in TLS_PAIR))
    httpd = Es9Server((host, port), _handler_for(smdp))
    httpd.tls_context = context
    threading.Thread(target=httpd.serve_forever, daemon=True, name="es9plus").start()
    return httpd
