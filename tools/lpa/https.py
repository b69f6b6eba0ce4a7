"""ES9+ over HTTPS for an LPAd that runs many downloads (SGP.22 5.6; the HTTP/JSON binding
of 6.5): one kept-alive HTTP/1.1 connection per SM-DP+ (a device downloads, notifies and
downloads again without a new TLS handshake each time), and the SM-DP+'s TLS certificate
(CERT.DP.TLS, SGP.22 4.5.2: issued by a GSMA CI) verified against the CI certificates given,
with the host name the SM-DP+ address names; ``insecure`` turns verification off as lpac has
it (shared/docs/interop.md).

Same contract as :func:`.es9.https_es9`: a function name and a JSON body in, the answer out
(``None`` for the 204 of handleNotification); :class:`~.es9.Es9Unreachable` when no answer
came (no connection, TLS, an HTTP error status), :class:`~.es9.Es9Malformed` for an answer
that is not an ES9+ response, :class:`~.es9.Es9Refused` with the SM-DP+'s subject and reason
codes. A client is for one thread (or greenlet) at a time: one per device.
"""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from euicc.pki import read_certificate

from .es9 import HEADERS, PATH, Es9Malformed, Es9Refused, Es9Unreachable

MAX_ANSWER = 4 << 20  # an ES9+ answer larger than this is no answer (a BPP is < 1 MiB)


def tls_context(ci_certificates: list[Path] | None, insecure: bool = False) -> ssl.SSLContext:
    """A client context that trusts only the given CI certificates (DER or PEM), TLS 1.2 or
    later; ``insecure``: no verification at all (test SM-DP+s with foreign certificates)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not ci_certificates:
        raise ValueError("verifying the SM-DP+ needs the CI certificate(s) it chains to "
                         "(or the insecure switch)")
    pems = []
    for path in ci_certificates:
        try:
            pems.append(read_certificate(Path(path)).public_bytes(Encoding.PEM).decode())
        except (OSError, ValueError) as exc:
            raise ValueError(f"CI certificate {path}: {exc}") from None
    context.load_verify_locations(cadata="".join(pems))
    return context


def split_address(address: str) -> tuple[str, int]:
    """``host`` or ``host:port`` (SGP.22 smdpAddress; 443 by default)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address, 443
    return host, int(port)


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection whose TLS server name (SNI and the name verified) is
    ``server_name``, wherever the TCP connection goes."""

    def __init__(self, host: str, port: int, server_name: str, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self.server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP (with TCP_NODELAY)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.server_name)


class Es9Https:
    """ES9+ client of one SM-DP+ ``address`` (``host[:port]``), reusing its connection.
    ``connect_to``: the ``host:port`` to connect to instead of the address's own (an SM-DP+
    on loopback whose certificate names its public address, like curl's --connect-to); the
    TLS server name stays the address's host."""

    def __init__(self, address: str, context: ssl.SSLContext, timeout: float = 30.0,
                 connect_to: str | None = None) -> None:
        self.address = address
        self.host, self.port = split_address(address)
        self.connect_host, self.connect_port = split_address(connect_to or address)
        self.context, self.timeout = context, timeout
        self._connection: http.client.HTTPSConnection | None = None
        self.connections = 0  # TLS connections made (how often the kept one was lost)

    def _connect(self) -> http.client.HTTPSConnection:
        self.connections += 1
        return _Connection(self.connect_host, self.connect_port, self.host,
                           timeout=self.timeout, context=self.context)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _exchange(self, function: str, body: bytes) -> tuple[int, bytes]:
        """One request on the kept connection; a connection the server closed while idle is
        made anew once (nothing was answered on it, so the request is sent again)."""
        for attempt in (1, 2):
            fresh = self._connection is None
            if fresh:
                self._connection = self._connect()
            try:
                self._connection.request("POST", PATH + function, body,
                                         {**HEADERS, "Host": self.address})
                response = self._connection.getresponse()
                data = response.read(MAX_ANSWER + 1)
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) \
                    as exc:
                self.close()
                if fresh or attempt == 2:
                    raise Es9Unreachable(function, f"https://{self.address}: {exc}") from exc
            except ssl.SSLError as exc:
                self.close()
                raise Es9Unreachable(function, f"https://{self.address}: TLS: "
                                     f"{getattr(exc, 'verify_message', None) or exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Es9Unreachable(function, f"https://{self.address}: "
                                     f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def __call__(self, function: str, body: dict) -> dict | None:
        status, data = self._exchange(function, json.dumps(body).encode())
        if len(data) > MAX_ANSWER:
            self.close()
            raise Es9Malformed(function, f"the answer is larger than {MAX_ANSWER} bytes")
        if status == 204 and function == "handleNotification":
            return None
        if status != 200:
            raise Es9Unreachable(function, f"https://{self.address} answered HTTP {status}")
        try:
            answer = json.loads(data)
            status_field = answer["header"]["functionExecutionStatus"]
            verdict = status_field.get("status")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Es9Malformed(function, f"the answer is not an ES9+ response: "
                               f"{type(exc).__name__}: {exc}") from None
        if verdict != "Executed-Success":
            codes = status_field.get("statusCodeData") or {}
            if not isinstance(codes, dict):
                codes = {}
            subject, reason = codes.get("subjectCode"), codes.get("reasonCode")
            raise Es9Refused(function, None if subject is None else str(subject),
                             None if reason is None else str(reason),
                             str(codes.get("message", "")))
        return answer
