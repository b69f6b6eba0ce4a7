"""The eIM's ES9+ relay of the indirect profile download (SGP.32 3.2, 6.3.2.1-6.3.2.5): an
IPA without a connection of its own to the SM-DP+ (IpaCapabilities
indirectRspServerCommunication, 4.1) sends each ES9+ step to the eIM over ESipa, and the eIM
makes the ES9+ call (SGP.22 5.6, the JSON binding of 6.5) and maps the answer back:

=================================  =============================  ==========================
ESipa request (tag)                ES9+ function (SGP.22)         ESipa response
=================================  =============================  ==========================
InitiateAuthentication ('BF39')    initiateAuthentication 5.6.1   initiateAuthenticationOk-
                                                                  Esipa / ...ErrorEsipa
AuthenticateClient ('BF3B')        authenticateClient 5.6.3       authenticateClientOkDPEsipa
                                                                  / ...ErrorEsipa
GetBoundProfilePackage ('BF3A')    getBoundProfilePackage 5.6.2   getBoundProfilePackageOk-
                                                                  Esipa / ...ErrorEsipa
CancelSession ('BF41')             cancelSession 5.6.5            cancelSessionOk / Error
HandleNotification ('BF3D'),       handleNotification 5.6.4       none (HTTP 204)
pendingNotification
=================================  =============================  ==========================

The SM-DP+ is the one the InitiateAuthentication request names (smdpAddress); the
transactionId it answers binds the later calls of that download to it. The eIM keeps that
binding per transaction in memory (the SM-DP+'s own spelling of the transactionId with it)
until the session ends: ES9+.CancelSession done, or the Install notification of that
transactionId forwarded; the oldest bindings beyond :data:`MAX_SESSIONS` are dropped. A
notification goes to the SM-DP+ its metadata names (notificationAddress, SGP.22 5.7.9), as
the LPAd would send it; an Install notification of a relayed session is kept with the EID
of the eUICC certificate AuthenticateClient carried, and closes that EID's download order
(an IPA such as onomondo-ipa reports the indirect download with it alone, not with a
ProfileDownloadTriggerResult). What the IPA sends is relayed byte for byte (the card's signed
responses re-tagged only where ESipa tags them otherwise: cancelSessionResponse travels as
'A1', SGP.22 wants 'BF41'), and what the SM-DP+ answers likewise (its base64 members are
the DER the ESipa types hold); every answer is checked against the ESipa type before it
leaves.

Error mapping (the ESipa error INTEGERs of 6.3.2.1-6.3.2.5; SGP.32 names the codes, not
which ES9+ failure gives which, so this is this eIM's reading, made as a real eIM would):

- an ES9+ failure with SGP.22 subject/reason codes (6.5.1.4 statusCodeData): the code of the
  same meaning in the ESipa list (:data:`FUNCTIONS`, e.g. 8.2.6/3.8 matchingIdRefused(6),
  8.10.1/3.9 invalidTransactionId), else undefinedError(127);
- the SM-DP+ unreachable (no connection, TLS, an HTTP error status) or an answer that is not
  the ES9+ response (not JSON, a member missing, not the DER of its type): undefinedError
  (127); for InitiateAuthentication, whose list has no undefinedError, an unreachable
  SM-DP+ is invalidDpAddress(1) (the address names no SM-DP+ the eIM can use) and a
  malformed answer 127, the value every other ESipa error list gives undefinedError (and
  what onomondo-eim answers for any ES9+ failure);
- a transactionId this eIM has no session for (never opened, ended, or the eIM restarted):
  invalidTransactionId (AuthenticateClient 10, GetBoundProfilePackage 95, CancelSession 1),
  no ES9+ call;
- an InitiateAuthentication without smdpAddress (this eIM has no default SM-DP+ to put in)
  or without euiccInfo1 (only minimizeEsipaBytes leaves it out, 6.3.2.1; this eIM does not
  keep EUICCInfo1 to fill it in): invalidDpAddress(1) and 127;
- a relay request whose tag is one of the four but whose content is not the ESipa type
  (malformed DER, a compact form of 5.14 this eIM does not take): that function's
  undefinedError(127), so the IPA learns which step failed (any other undecodable body is
  HTTP 400, :mod:`.server`).

HandleNotification has no output data (6.3.2.4): a notification the SM-DP+ did not take is
not reported to the IPA; the eIM keeps it with ``forwarded: false`` and the reason in its
results (``eim results``). Not done here: the SM-DS (authenticateClientOkDSEsipa, 3.2.4),
the eIM's own checks of smdpAddressMismatch / smdpOidMismatch(50/51) and the eIM-supplied
matchingId / ctxParams1 (eimCtxParams1Generation).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from euicc.tlv import TlvError, children, read_header, tlv
from euicc_tools.lpa.es9 import Es9Call, Es9Error, Es9Malformed, Es9Refused, Es9Unreachable
from euicc_tools.lpa.es9 import answer_field as _field

from . import esipa

log = logging.getLogger(__name__)
Es9For = Callable[[str], Es9Call]  # SM-DP+ address -> its ES9+ caller
MAX_SESSIONS = 1000
UNDEFINED = 127
INVALID_DP_ADDRESS = 1


@dataclass(frozen=True)
class RelayFunction:
    """One ESipa relay function: its ES9+ function, the response alternatives, and the
    ESipa error code for each SGP.22 subject/reason code and for the eIM's own failures."""

    es9: str
    tag: int
    response: str
    ok: str
    error: str
    errors: dict[str, int]
    unreachable: int = UNDEFINED
    invalid_transaction: int | None = None


FUNCTIONS = {
    "initiateAuthenticationRequestEsipa": RelayFunction(
        "initiateAuthentication", 0xBF39, "initiateAuthenticationResponseEsipa",
        "initiateAuthenticationOkEsipa", "initiateAuthenticationErrorEsipa", {
            "8.8.1/3.8": 1,  # invalid SM-DP+ address -> invalidDpAddress
            "8.8.3/3.1": 2,  # specification version not supported -> euiccVersionNotSupportedByDp
            "8.8.2/3.1": 3,  # no proposed CI key supported -> ciPKIdNotSupported
            "8.8.4/3.7": 3,  # no CERT.DPauth.SIG under an eUICC's CI -> ciPKIdNotSupported
        }, unreachable=INVALID_DP_ADDRESS),
    "authenticateClientRequestEsipa": RelayFunction(
        "authenticateClient", 0xBF3B, "authenticateClientResponseEsipa",
        "authenticateClientOkDPEsipa", "authenticateClientErrorEsipa", {
            "8.1.2/6.1": 1, "8.1.2/6.3": 2,  # EUM certificate invalid / expired
            "8.1.3/6.1": 3, "8.1.3/6.3": 4,  # eUICC certificate invalid / expired
            "8.1.4/6.1": 3,  # EID outside the EUM's range: the eUICC certificate is invalid
            "8.1/6.1": 5,  # euiccSignatureInvalid
            "8.2.6/3.8": 6,  # matchingIdRefused
            "8.1.1/3.8": 7,  # EID refused -> eidMismatch
            "8.2.5/4.3": 8,  # noEligibleProfile
            "8.11.1/3.9": 9,  # ciPKUnknown
            "8.10.1/3.9": 10,  # invalidTransactionId
        }, invalid_transaction=10),
    "getBoundProfilePackageRequestEsipa": RelayFunction(
        "getBoundProfilePackage", 0xBF3A, "getBoundProfilePackageResponseEsipa",
        "getBoundProfilePackageOkEsipa", "getBoundProfilePackageErrorEsipa", {
            "8.1/6.1": 1,  # euiccSignatureInvalid
            "8.2.7/2.2": 2, "8.2.7/3.8": 3, "8.2.7/6.4": 4,  # confirmation code missing /
            # refused / retries exceeded
            "8.2/3.7": 5,  # bppRebindingRefused
            "8.8.5/4.10": 6,  # downloadOrderExpired
            "8.10.1/3.9": 95,  # invalidTransactionId
        }, invalid_transaction=95),
    "cancelSessionRequestEsipa": RelayFunction(
        "cancelSession", 0xBF41, "cancelSessionResponseEsipa", "cancelSessionOk",
        "cancelSessionError", {
            "8.10.1/3.9": 1,  # invalidTransactionId
            "8.1/6.1": 2,  # euiccSignatureInvalid
        }, invalid_transaction=1),
}
TAGS = {function.tag: function for function in FUNCTIONS.values()}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error_response(function: RelayFunction, code: int) -> bytes:
    return esipa.to_ipa(function.response, (function.error, code))


def error_code(function: RelayFunction, exc: Es9Error) -> int:
    """The ESipa error code for an ES9+ failure (the mapping of the module docstring)."""
    if isinstance(exc, Es9Refused) and exc.code in function.errors:
        return function.errors[exc.code]
    if isinstance(exc, Es9Unreachable):
        return function.unreachable
    return UNDEFINED


def malformed(body: bytes) -> bytes | None:
    """The answer to a body that is not an EsipaMessageFromIpaToEim: the relay function's
    undefinedError when its tag names one, else None (not a relay request)."""
    try:
        function = TAGS.get(read_header(body).tag)
    except TlvError:
        return None
    return None if function is None else error_response(function, UNDEFINED)


@dataclass
class Session:
    """One download relayed: the SM-DP+, its ES9+ caller, its spelling of the
    transactionId (SGP.22 6.5.2: a hex string, handed back as given)."""

    address: str
    es9: Es9Call
    es9_transaction: str
    eid: str | None = None  # from the eUICC certificate of AuthenticateClient
    matching_id: str | None = None  # from its ctxParams1
    lock: threading.Lock = field(default_factory=threading.Lock)


def _close(es9: Es9Call) -> None:
    close = getattr(es9, "close", None)
    if close is not None:
        close()


def _members(body: bytes) -> dict[int, bytes]:
    """The members of the request ``body`` as received (tag -> complete TLV)."""
    return dict(children(body))


def _content(member: bytes) -> bytes:
    head = read_header(member)
    return member[head.header_length:head.total_length]


def _eid(authenticate_server_response: bytes) -> str | None:
    """The EID of the eUICC certificate in an authenticateResponseOk (SGP.22 5.7.13; the
    certificate's subject serialNumber, SGP.22 4.5.2.1.0.2), so the Install notification
    can be kept with the EID's download order (HandleNotification names no EID)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        (tag, ok), = children(authenticate_server_response)
        certificate = children(ok)[2][1] if tag == 0xA0 else None
        if certificate is None:
            return None
        names = x509.load_der_x509_certificate(certificate).subject.get_attributes_for_oid(
            NameOID.SERIAL_NUMBER)
        return str(names[0].value) if names else None
    except (TlvError, IndexError, ValueError):
        return None


class Relay:
    """The relay state: the sessions by transactionId; ``es9_for`` makes the ES9+ caller of
    an SM-DP+ address (:func:`https_es9_for`)."""

    def __init__(self, es9_for: Es9For, max_sessions: int = MAX_SESSIONS) -> None:
        self.es9_for = es9_for
        self.max_sessions = max_sessions
        self.sessions: OrderedDict[bytes, Session] = OrderedDict()
        self.lock = threading.Lock()

    def handle(self, kind: str, value: dict, body: bytes) -> bytes:
        """The ESipa response to the relay request ``kind`` (decoded ``value``, DER
        ``body``)."""
        function = FUNCTIONS[kind]
        if kind == "initiateAuthenticationRequestEsipa":
            return self._initiate(function, value, body)
        transaction = value["transactionId"]
        with self.lock:
            session = self.sessions.get(transaction)
        if session is None:
            log.info("relay %s: no session for transactionId %s", function.es9,
                     transaction.hex().upper())
            return error_response(function, function.invalid_transaction)
        members = _members(body)
        if kind == "authenticateClientRequestEsipa":
            request = {"authenticateServerResponse": _b64(members[0xBF38])}
            session.eid = session.eid or _eid(members[0xBF38])
            alternative, response = value["authenticateServerResponse"]
            if alternative == "authenticateResponseOk":
                context = response["euiccSigned1"]["ctxParams1"][1]
                session.matching_id = context.get("matchingId")
        elif kind == "getBoundProfilePackageRequestEsipa":
            request = {"prepareDownloadResponse": _b64(members[0xBF21])}
        else:  # cancelSessionResponse: 'A1' in ESipa, the card's 'BF41' for ES9+
            request = {"cancelSessionResponse": _b64(tlv(0xBF41, _content(members[0xA1])))}
        with session.lock:
            try:
                answer = session.es9(function.es9, {"transactionId": session.es9_transaction,
                                                    **request})
                response = self._ok(function, transaction, answer)
            except Es9Error as exc:
                log.info("relay %s to %s: %s", function.es9, session.address, exc)
                return error_response(function, error_code(function, exc))
        if kind == "cancelSessionRequestEsipa":
            self.end(transaction)
        return response

    def _initiate(self, function: RelayFunction, value: dict, body: bytes) -> bytes:
        address = value.get("smdpAddress")
        members = _members(body)
        if not address or 0xBF20 not in members:
            log.info("relay initiateAuthentication: %s missing", "euiccInfo1" if address
                     else "smdpAddress")
            return error_response(function, UNDEFINED if address else INVALID_DP_ADDRESS)
        es9 = self.es9_for(address)
        try:
            answer = es9(function.es9, {"euiccChallenge": _b64(value["euiccChallenge"]),
                                        "euiccInfo1": _b64(members[0xBF20]),
                                        "smdpAddress": address})
            es9_transaction = answer.get("transactionId") if isinstance(answer, dict) else None
            try:
                transaction = bytes.fromhex(es9_transaction)
            except (TypeError, ValueError):
                raise Es9Malformed(function.es9, "the answer has no valid transactionId") \
                    from None
            response = self._ok(function, transaction, answer)
        except Es9Error as exc:
            _close(es9)
            log.info("relay initiateAuthentication to %s: %s", address, exc)
            return error_response(function, error_code(function, exc))
        with self.lock:
            self.sessions[transaction] = Session(address, es9, es9_transaction)
            while len(self.sessions) > self.max_sessions:
                _, dropped = self.sessions.popitem(last=False)
                _close(dropped.es9)
        log.info("relay: transactionId %s with the SM-DP+ %s", transaction.hex().upper(),
                 address)
        return response

    def _ok(self, function: RelayFunction, transaction: bytes, answer: dict | None) -> bytes:
        """The ok alternative made of the SM-DP+'s answer (SGP.22 6.5.2.6-6.5.2.10 members,
        each the DER of the ESipa member of the same name), checked against the ESipa
        type; Es9Malformed if it is not one."""
        name = function.es9

        def get(member: str) -> bytes:
            return _field(answer, name, member)

        head = tlv(0x80, transaction)
        if name == "initiateAuthentication":
            content = head + b"".join(get(m) for m in (
                "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed",
                "serverCertificate"))
        elif name == "authenticateClient":
            metadata = get("profileMetadata") if (answer or {}).get("profileMetadata") else b""
            content = head + metadata + b"".join(get(m) for m in (
                "smdpSigned2", "smdpSignature2", "smdpCertificate"))
        elif name == "getBoundProfilePackage":
            content = head + get("boundProfilePackage")
        else:  # cancelSession: no output data
            content = b""
        response = tlv(function.tag, tlv(0xA0, content))
        try:
            esipa.decode_from_eim(response)
        except esipa.EsipaError as exc:
            raise Es9Malformed(name, f"the answer does not make a {function.ok}: "
                                     f"{exc}") from None
        return response

    def end(self, transaction: bytes) -> None:
        """The session is over (cancelled, or its Install notification forwarded)."""
        with self.lock:
            session = self.sessions.pop(transaction, None)
        if session is not None:
            _close(session.es9)

    def forward_notification(self, body: bytes, notification: tuple) -> dict:
        """ESipa.HandleNotification pendingNotification (6.3.2.4) to ES9+.HandleNotification
        (SGP.22 5.6.4) of the SM-DP+ its notificationAddress names, the card's signed bytes
        as received; what happened, for the eIM's results."""
        kind, content = notification
        if kind == "profileInstallationResult":
            data = content["profileInstallationResultData"]
            metadata, transaction = data["notificationMetadata"], data["transactionId"]
        else:
            metadata, transaction = content["tbsOtherNotification"], None
        address = metadata["notificationAddress"]
        summary = {"notification": kind, "seqNumber": metadata["seqNumber"],
                   "address": address}
        with self.lock:
            session = self.sessions.get(transaction) if transaction is not None else None
        if transaction is not None:
            summary["transactionId"] = transaction.hex().upper()
            summary["finalResult"] = data["finalResult"][0]
        if session is not None and session.eid:
            summary.update(eid=session.eid, smdp=session.address,
                           matchingId=session.matching_id or "")
        es9 = session.es9 if session is not None and session.address == address \
            else self.es9_for(address)
        try:
            notification = _content(children(body)[0][1])  # 'BF3D' 'A0' around it
            es9("handleNotification", {"pendingNotification": _b64(notification)})
            summary["forwarded"] = True
        except Es9Error as exc:
            log.info("relay handleNotification to %s: %s", address, exc)
            summary.update(forwarded=False, error=str(exc))
        if session is None or es9 is not session.es9:
            _close(es9)
        if transaction is not None:
            self.end(transaction)
        return summary


def https_es9_for(ci_certificates: list[Path] | None = None, insecure: bool = False,
                  timeout: float = 30.0) -> Es9For:
    """ES9+ over HTTPS (SGP.22 6.5, 4.5.2: the SM-DP+'s CERT.DP.TLS verified against the CI
    certificates given, ``insecure``: not verified) with the LPA's client, one kept-alive
    connection per session. Without either, every call fails as unreachable, saying why;
    ValueError for a CI certificate file that cannot be read."""
    from euicc_tools.lpa.https import Es9Https, tls_context

    if not ci_certificates and not insecure:
        def refuse(address: str) -> Es9Call:
            def call(function: str, body: dict) -> dict | None:
                raise Es9Unreachable(function, f"https://{address}: the eIM has no CI "
                                     "certificate to verify the SM-DP+ with (eim serve "
                                     "--es9-ca FILE, or --es9-insecure)")
            return call

        return refuse
    context = tls_context(ci_certificates, insecure)  # ValueError: a CI file that is none
    return lambda address: Es9Https(address, context, timeout)
