"""ESipa.TransferEimPackage (SGP.32 6.3.3.1), the eIM's side: the eIM pushes an EID's next
queued order to an IPA that listens (the "inject" mode of EimSupportedProtocol
eimInjectHttps(2), 2.11.1.1.1) instead of waiting for its GetEimPackage, with the same
package the poll would give (:meth:`.service.EimService.get_package`: a signed eUICC Package,
an eUICC Data Request or a Profile Download Trigger; the GetEimPackageResponse and the
TransferEimPackageRequest alternatives carry the same tags, so the package is sent byte for
byte under 'BF4E'). The IPA's TransferEimPackageResponse is taken as a ProvideEimPackageResult
is (the same alternatives, 6.3.2.7): kept with its order, a signed result verified; the
seqNumbers to acknowledge are then pushed as eimAcknowledgements (2.11.1.4).
eimPackageReceived (a trigger: its result comes later, by ProvideEimPackageResult to the
eIM's server) leaves the order as sent. A push that reaches no IPA leaves the order queued
(it is signed anew, with the next counterValue, when it goes out).

HTTPS with the IPA's certificate verified against ``--ipa-ca`` (SGP.32 6.1), or not
(``--insecure``), or plain HTTP (``--no-tls``). This layer's exception is
:class:`PushError` (the IPA cannot be reached, or answers what is no
TransferEimPackageResponse)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

from euicc.asn1 import decode_exact, sgp32
from euicc_tools.lpa.esipa import EsipaError, http_esipa

from . import esipa
from .service import EimService

PUSH_TAG, GET_TAG = b"\xbf\x4e", b"\xbf\x4f"
HEADERS = {"Content-Type": esipa.CONTENT_TYPE, "X-Admin-Protocol": esipa.ADMIN_PROTOCOL,
           "User-Agent": "euicc-emu-eim"}


class PushError(RuntimeError):
    pass


def ipa_caller(address: str, tls: bool, ca_files: list[Path] | None, insecure: bool,
               timeout: float = 120.0) -> Callable[[bytes], bytes]:
    """POST one ESipa message to the IPA at ``address``; its answer."""
    context = None
    if tls:
        if not ca_files and not insecure:
            raise PushError("HTTPS to the IPA: give --ipa-ca FILE (or --insecure, or --no-tls)")
        context = ssl.create_default_context(cafile=None)
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context.check_hostname = False  # a device has no name to check, its key is it
            for path in ca_files:
                try:
                    context.load_verify_locations(cafile=str(path))
                except (OSError, ssl.SSLError) as exc:
                    raise PushError(f"--ipa-ca {path}: {exc}") from None
    post = http_esipa(address, tls, timeout, context, HEADERS)

    def call(body: bytes) -> bytes:
        try:
            return post(body) or b""
        except EsipaError as exc:
            raise PushError(str(exc).removeprefix("ESipa: ")) from None

    return call


def _response(answer: bytes) -> tuple[str, object]:
    try:
        kind, value = esipa.decode_from_ipa(answer)
    except esipa.EsipaError as exc:
        raise PushError(f"the IPA's answer is {exc}") from None
    if kind != "transferEimPackageResponse":
        raise PushError(f"the IPA answered {kind}, not transferEimPackageResponse")
    return value


def push_next(service: EimService, eid: str, call: Callable[[bytes], bytes]) -> dict | None:
    """Push ``eid``'s next queued order; None when there is none. The report: what was
    pushed, what the IPA answered, the seqNumbers acknowledged."""
    queue = service.queue
    with service.lock:
        before = {o.id: o.state for o in queue.orders(eid)}
        package = service.get_package(eid)
        changed = [o.id for o in queue.orders(eid) if before.get(o.id) != o.state]
    kind, (alternative, _) = esipa.decode_from_eim(package)
    if alternative == "eimPackageError":
        return None
    try:
        answer = call(PUSH_TAG + package[len(GET_TAG):])
    except PushError:
        with service.lock:  # never delivered: as before (signed anew when pushed)
            for order_id in changed:
                if order_id in before:
                    queue.mark(order_id, "queued")
                else:  # the eUICC Data Request made for it
                    queue.remove(order_id)
        raise
    answered, value = _response(answer)
    report = {"package": alternative, "answer": answered, "acknowledged": []}
    if answered == "eimPackageReceived":
        return report
    with service.lock:  # the same alternatives as ProvideEimPackageResult (6.3.2.7)
        acks = service.provide_result((answered, value), answer)
    seqs = decode_exact(sgp32(), "EsipaMessageFromEimToIpa", acks)[1].get(
        "eimAcknowledgements", [])
    if seqs:
        ack = esipa.to_ipa("transferEimPackageRequest", ("eimAcknowledgements", seqs))
        if _response(call(ack))[0] != "eimPackageReceived":
            raise PushError("the IPA did not take the eimAcknowledgements")
        report["acknowledged"] = seqs
    return report
