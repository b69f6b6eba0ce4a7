"""What the test eIM does with each ESipa message (SGP.32 3.x, the eIM's side of 6.3):

- GetEimPackage (6.3.2.6): the EID's oldest queued order, made into an eUICC Package signed
  now (2.11.1.1: the next counterValue of that EID, persisted first, a fresh transactionId;
  eimSignature over euiccPackageSigned), a ProfileDownloadTriggerRequest (2.11.1.3) with
  an eimTransactionId, or an IpaEuiccDataRequest (2.11.1.2); else eimPackageError
  noEimPackageAvailable(1). A PSMO or eCO order for an eUICC whose certificate the eIM does
  not know is preceded by an eUICC Data Request for it (tags 'A5' 'A6'), so the result can
  be verified.
- The ES9+ relay of the indirect profile download (6.3.2.1-6.3.2.5) and HandleNotification
  pendingNotification (6.3.2.4), forwarded to the SM-DP+ and kept with what happened:
  :mod:`.relay`.
- ProvideEimPackageResult (6.3.2.7, also inside HandleNotification 6.3.2.4): the result is
  kept with the order it answers (by transactionId, else the oldest order sent), a signed
  EuiccPackageResult verified with the eUICC certificate (2.11.2.1: euiccSignEPR over
  euiccPackageResultDataSigned and the package's eimSignature data object), and its
  seqNumber acknowledged (2.11.1.4 eimAcknowledgements: the IPA may remove it).
"""

from __future__ import annotations

import json
import os
import threading

from euicc.asn1 import Asn1Error, decode_exact, encode, sgp32
from euicc.crypto.ecdsa import sign_raw
from euicc.tlv import tlv
from euicc_tools.lpa.management import jsonable
from euicc_tools.testkit.eim import result_signature_valid

from . import esipa, relay
from .keys import EimCredentials
from .queue import EimQueue, Order, QueueError

CERT_TAGS = bytes.fromhex("A5A6")  # IpaEuiccData eumCertificate, euiccCertificate


class EimService:
    def __init__(self, credentials: EimCredentials, queue: EimQueue,
                 es9_for: relay.Es9For | None = None) -> None:
        """``es9_for``: the ES9+ callers of the relay (default: HTTPS that refuses to call
        an SM-DP+ it cannot verify, :func:`.relay.https_es9_for`)."""
        self.credentials = credentials
        self.queue = queue
        self.relay = relay.Relay(es9_for or relay.https_es9_for())
        self.lock = threading.Lock()
        self.jer = None

    def _jer(self):
        if self.jer is None:  # ASN.1 JER (X.697) for the orders' items, compiled on first use
            import asn1tools

            from euicc.asn1 import _HERE
            self.jer = asn1tools.compile_files([_HERE / "rsp.asn", _HERE / "sgp32.asn"], "jer")
        return self.jer

    def check_items(self, kind: str, items: list) -> None:
        """QueueError unless each item is a Psmo (psmo) or Eco (eco) that encodes in DER."""
        element = "Psmo" if kind == "psmo" else "Eco"
        for item in items:
            try:
                encode(sgp32(), element, self.item_value(element, item))
            except Exception as exc:  # noqa: BLE001 - asn1tools raises several kinds
                raise QueueError(f"{json.dumps(item)} is not a {element}: {exc}") from None

    def item_value(self, element: str, item: dict):
        """An order's Psmo or Eco: JER, or ``{"der": HEX}`` (a value asn1tools' JER cannot
        carry, e.g. the ANY inside a SubjectPublicKeyInfo)."""
        if set(item) == {"der"}:
            return decode_exact(sgp32(), element, bytes.fromhex(item["der"]))
        return self._jer().decode(element, json.dumps(item).encode())

    def handle(self, body: bytes) -> bytes | None:
        """The answer to one ESipa message; None: no content (HTTP 204). EsipaError for a
        message this eIM cannot take."""
        try:
            kind, value = esipa.decode_from_ipa(body)
        except esipa.EsipaError:
            answer = relay.malformed(body)  # a relay function's undefinedError, else 400
            if answer is None:
                raise
            return answer
        if kind in relay.FUNCTIONS:  # ES9+ calls: outside the lock, each its own session
            return self.relay.handle(kind, value, body)
        if kind == "handleNotificationEsipa" and value[0] == "pendingNotification":
            summary = self.relay.forward_notification(body, value[1])
            with self.lock:
                order = None
                if summary.get("eid"):  # a relayed download's Install notification
                    order = self._download_order(summary)
                if order is None:
                    self.queue.add_result(summary.get("eid", ""), None, "notification",
                                          body, summary, None)
                else:
                    self._keep(order, "notification", body, summary, None)
            return None
        with self.lock:
            if kind == "getEimPackageRequest":
                return self.get_package(value["eidValue"].hex().upper())
            if kind == "provideEimPackageResult":
                return self.provide_result(value, body)
            if kind == "handleNotificationEsipa" and value[0] == "provideEimPackageResult":
                return self.provide_result(value[1], body)
        raise esipa.EsipaError(f"{kind} is not served by this eIM")

    def _download_order(self, summary: dict) -> Order | None:
        """The sent download order a relayed session carried out: the EID's whose
        activation code names the session's SM-DP+ and matchingId, else its only one."""
        from euicc_tools.fleet.device import parse_activation_code

        sent = [o for o in self.queue.orders(summary["eid"])
                if o.kind == "download" and o.state == "sent"]
        for order in sent:
            try:
                target = parse_activation_code(order.items[0].get("activationCode", ""))
            except ValueError:
                continue
            if (target.smdp, target.matching_id) == (summary["smdp"], summary["matchingId"]):
                return order
        return sent[0] if len(sent) == 1 else None

    # -- GetEimPackage --------------------------------------------------------------------
    def get_package(self, eid: str) -> bytes:
        order = self.queue.next_queued(eid)
        if order is None:
            return esipa.no_package()
        if order.kind in ("psmo", "eco") and self.queue.euicc_certificate(eid) is None \
                and not order.faults:
            request = self.queue.add(eid, "euiccData", [CERT_TAGS.hex()])
            order = next(o for o in self.queue.orders(eid) if o.id == request)
        if order.kind == "euiccData":
            value = {"tagList": bytes.fromhex(order.items[0])}
            answer = esipa.to_ipa("getEimPackageResponse", ("ipaEuiccDataRequest", value))
            self.queue.mark_sent(order.id, None, None, answer)
            return answer
        if order.kind == "download":
            transaction = os.urandom(16)
            data = self._jer().decode("ProfileDownloadData", json.dumps(order.items[0]).encode())
            value = {"profileDownloadData": data, "eimTransactionId": transaction}
            answer = esipa.to_ipa("getEimPackageResponse",
                                  ("profileDownloadTriggerRequest", value))
            self.queue.mark_sent(order.id, None, transaction, answer)
            return answer
        request, counter, transaction = self.sign(order)
        self.queue.mark_sent(order.id, counter, transaction, request)
        return esipa.package_response(request)

    def sign(self, order: Order) -> tuple[bytes, int | None, bytes | None]:
        """The signed EuiccPackageRequest of ``order`` ('BF51'), its counterValue and its
        transactionId; the order's faults applied (test eIM only)."""
        faults = order.faults
        if "raw" in faults:
            return tlv(0xBF51, bytes.fromhex(faults["raw"])), None, None
        spec = sgp32()
        element = "Psmo" if order.kind == "psmo" else "Eco"
        items = [self.item_value(element, item) for item in order.items]
        counter = faults.get("counter")
        if counter is None:
            counter = self.queue.next_counter(order.eid, self.credentials.initial_counter)
        transaction = os.urandom(16)
        signed = {"eimId": faults.get("eimId", self.credentials.eim_id),
                  "eidValue": bytes.fromhex(faults.get("eid", order.eid)),
                  "counterValue": counter, "transactionId": transaction,
                  "euiccPackage": ("psmoList" if order.kind == "psmo" else "ecoList", items)}
        signature = sign_raw(self.credentials.key, encode(spec, "EuiccPackageSigned", signed))
        if faults.get("signature") == "bad":
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        request = encode(spec, "EuiccPackageRequest",
                         {"euiccPackageSigned": signed, "eimSignature": signature})
        return request, counter, transaction

    # -- ProvideEimPackageResult ----------------------------------------------------------
    def provide_result(self, value: tuple, body: bytes) -> bytes:
        kind, content = value
        if kind == "ePRAndNotifications":
            kind, content = "euiccPackageResult", content["euiccPackageResult"]
        if kind == "euiccPackageResult":
            return self._package_result(content)
        if kind == "profileDownloadTriggerResult":
            transaction = content.get("eimTransactionId")
            order = (transaction is not None and self.queue.order_by_transaction(transaction)
                     ) or self.queue.sent_order_any("download", transaction)
            data = content["profileDownloadTriggerResultData"]
            summary = {"result": data[0]}
            if data[0] == "profileInstallationResult":
                final = data[1]["profileInstallationResultData"]["finalResult"]
                summary["finalResult"] = jsonable(final)
            self._keep(order, "profileDownloadTriggerResult", body, summary, None)
            return esipa.acknowledgements([])
        if kind == "ipaEuiccDataResponse":
            order = self.queue.sent_order_any("euiccData")
            summary = {"result": content[0]}
            if content[0] == "ipaEuiccData" and order is not None:
                module = sgp32().modules["PKIX1Explicit88"]["Certificate"]
                certs = {name: bytes(module.encode(content[1][name]))
                         for name in ("euiccCertificate", "eumCertificate")
                         if name in content[1]}
                self.queue.set_certificates(order.eid, certs.get("euiccCertificate"),
                                            certs.get("eumCertificate"))
                summary["certificates"] = sorted(certs)
            else:
                summary["error"] = jsonable(content[1])
            self._keep(order, "ipaEuiccDataResponse", body, summary, None)
            return esipa.acknowledgements([])
        if kind != "eimPackageError":
            raise esipa.EsipaError(f"ProvideEimPackageResult {kind} is not served")
        order = self.queue.sent_order_any(None)
        self._keep(order, "eimPackageError", body, {"eimPackageError": content}, None)
        return esipa.acknowledgements([])

    def _package_result(self, result: tuple) -> bytes:
        kind, content = result
        data = (content.get("euiccPackageResultDataSigned")
                or content.get("euiccPackageErrorDataSigned") or content)
        order = self.queue.sent_order_any(("psmo", "eco"), data.get("transactionId"))
        summary = {"result": kind, "eimId": data.get("eimId"),
                   "counterValue": data.get("counterValue")}
        seq = None
        if kind == "euiccPackageResultSigned":
            seq = data["seqNumber"]
            summary["seqNumber"] = seq
            summary["euiccResult"] = jsonable(data["euiccResult"])
        elif kind == "euiccPackageErrorSigned":
            summary["euiccPackageErrorCode"] = data["euiccPackageErrorCode"]
        der = encode(sgp32(), "EuiccPackageResult", result)
        verified = None
        if order is not None and kind != "euiccPackageErrorUnsigned":
            certificate = self.queue.euicc_certificate(order.eid)
            if certificate is not None and "raw" not in order.faults:
                try:
                    verified = result_signature_valid(der, order.request, certificate)
                except (Asn1Error, ValueError):
                    verified = False
        self._keep(order, "euiccPackageResult", der, summary, verified)
        return esipa.acknowledgements([seq] if seq is not None and verified is not False
                                      else [])

    def _keep(self, order: Order | None, kind: str, der: bytes, summary: dict,
              verified: bool | None) -> None:
        eid = "" if order is None else order.eid
        self.queue.add_result(eid, None if order is None else order.id, kind, der, summary,
                              verified)
        if order is not None:
            self.queue.mark(order.id, "done")

