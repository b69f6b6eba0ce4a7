"""``euicc-lpa ipa listen``: the IPA as the HTTP(S) server an eIM pushes packages to
(SGP.32 6.3.3.1 ESipa.TransferEimPackage, the eIM-initiated "inject" mode that
EimSupportedProtocol eimInjectHttps(2) names, 2.11.1.1.1; 6.1.2 the ASN.1 binding: POST
``/gsma/rsp2/asn1`` with one DER EsipaMessageFromEimToIpa, answered with one
EsipaMessageFromIpaToEim, ``application/x-gsma-rsp-asn1``). Each push is one
:func:`.ipa.transfer` on the card, one at a time (the card is one ES10 session); what a
Profile Download Trigger leaves to do runs after its answer, its result then sent to the
eIM (ProvideEimPackageResult) at the card's eimFqdn or the address given.

HTTPS with ``--tls-cert`` / ``--tls-key`` (SGP.32 6.1: TLS with server authentication; the
eIM checks the certificate), else plain HTTP; loopback by default. Runs until SIGINT /
SIGTERM, or ``--count N`` pushes; the report lists each."""

from __future__ import annotations

import logging
import signal
import ssl
import threading
from collections.abc import Callable
from http.server import HTTPServer
from pathlib import Path

from euicc_tools.eim import esipa as codec
from euicc_tools.eim.esipa_http import esipa_handler, server_context

from . import ipa
from .es10 import Es10Client
from .esipa import EsipaCall
from .notifications import Es9For
from .outcome import RequestError

log = logging.getLogger(__name__)


def _server(handle: Callable[[bytes], tuple[bytes, Callable[[], None] | None]],
            host: str, port: int, context: ssl.SSLContext | None) -> HTTPServer:
    def answered(body: bytes) -> tuple[int, bytes, Callable[[], None] | None]:
        return 200, *handle(body)

    httpd = HTTPServer((host, port), esipa_handler(answered, "euicc-emu-ipa"))
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise RequestError("--tls-cert and --tls-key go together")
    try:
        return server_context(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise RequestError(f"--tls-cert / --tls-key: {exc}") from None


def listen(es10: Es10Client, esipa_for: Callable[[str], EsipaCall], es9_for: Es9For,
           host: str, port: int, context: ssl.SSLContext | None, count: int | None = None,
           eim_address: str | None = None) -> dict:
    """Serve pushes until stopped or ``count`` of them; the report of each."""
    eims = ipa.eim_configuration(es10)
    address = eim_address or (eims[0].get("eimFqdn") if eims else None)
    esipa = esipa_for(address) if address else None
    transfers: list[dict] = []
    lock = threading.Lock()

    def handle(body: bytes) -> tuple[bytes, Callable[[], None] | None]:
        with lock:
            caller = esipa if esipa is not None else _no_eim
            try:
                answer, report, after = ipa.transfer(es10, caller, es9_for, body)
            except Exception as exc:  # noqa: BLE001 - the card or link failed: said, not fatal
                log.warning("TransferEimPackage: %s", exc)
                answer, report, after = ipa.push_error(ipa.UNDEFINED_ERROR), {
                    "error": str(exc)}, None
            transfers.append(report)
        if after is None:
            return answer, None

        def finish() -> None:
            with lock:
                try:
                    report.update(after())
                except Exception as exc:  # noqa: BLE001 - reported, the server goes on
                    report.update(error=str(exc))
        return answer, finish

    try:
        httpd = _server(handle, host, port, context)
    except OSError as exc:
        raise RequestError(f"ipa listen: {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    httpd.timeout = 0.2
    bound = f"{httpd.server_address[0]}:{httpd.server_address[1]}"
    log.info("IPA: ESipa pushes at %s://%s%s", "https" if context else "http", bound,
             codec.PATH)
    try:
        while not stop.is_set() and (count is None or len(transfers) < count):
            httpd.handle_request()
    finally:
        httpd.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return {"listened": bound, "transfers": transfers}


def _no_eim(body: bytes) -> bytes:
    raise RequestError("the card has no eIM with an eimFqdn to report to: give --eim")
