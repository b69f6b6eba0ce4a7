"""ES9+ through the eIM (SGP.32 3.2 indirect profile download, the ESipa relay of
6.3.2.1-6.3.2.5): an ES9+ caller of the shape :mod:`.download` and :mod:`.notifications`
take (an ES9+ function name and its SGP.22 6.5.2 JSON body in, the JSON answer out), which
sends each call to the eIM as the ESipa message of the same function and turns the eIM's
answer back into the ES9+ answer. So the one download flow (SGP.22 3.1.3) runs either way:
to the SM-DP+ directly, or through the eIM (``euicc-lpa ipa poll --indirect``).

=============================  ==========================================================
ES9+ call (SGP.22)             ESipa request -> response (SGP.32)
=============================  ==========================================================
initiateAuthentication 5.6.1   InitiateAuthenticationRequestEsipa 'BF39' (euiccChallenge,
                               smdpAddress, euiccInfo1) -> initiateAuthenticationOkEsipa
authenticateClient 5.6.3       AuthenticateClientRequestEsipa 'BF3B' (the card's
                               AuthenticateServerResponse 'BF38' as it gave it) ->
                               authenticateClientOkDPEsipa
getBoundProfilePackage 5.6.2   GetBoundProfilePackageRequestEsipa 'BF3A' (PrepareDownload-
                               Response 'BF21') -> getBoundProfilePackageOkEsipa
cancelSession 5.6.5            CancelSessionRequestEsipa 'BF41' (the card's
                               CancelSessionResponse, its 'BF41' re-tagged 'A1') ->
                               cancelSessionOk
handleNotification 5.6.4       HandleNotificationEsipa 'BF3D' pendingNotification 'A0'
                               (around the card's bytes) -> no content (HTTP 204)
=============================  ==========================================================

The SM-DP+'s DER travels byte for byte both ways: the members of an ok alternative are cut
out of the eIM's answer as received and handed on as the base64 members of the ES9+ answer.
Failures come out as the direct caller's do (:class:`~.es9.Es9Error`), so the download's
SGP.22 error handling (cancel session, the SM-DP+ told of the card's refusal) is the same:
an ESipa error alternative is :class:`RelayRefused` (``code``: SGP.32's name, e.g.
matchingIdRefused), an eIM that cannot be reached :class:`~.es9.Es9Unreachable`, an answer
that is not the ESipa response :class:`~.es9.Es9Malformed`."""

from __future__ import annotations

import base64

from euicc.asn1 import integer_names, sgp32_types
from euicc.tlv import TlvError, children, read_header, tlv

from .es9 import Es9Call, Es9Malformed, Es9Refused, Es9Unreachable
from .esipa import EsipaCall, EsipaError, EsipaUnreachable, answer

# ES9+ function -> (ESipa request tag, ESipa response alternative, the ESipa type of the
# response, the error alternative's member)
FUNCTIONS = {
    "initiateAuthentication": (0xBF39, "initiateAuthenticationResponseEsipa",
                               "InitiateAuthenticationResponseEsipa",
                               "initiateAuthenticationErrorEsipa"),
    "authenticateClient": (0xBF3B, "authenticateClientResponseEsipa",
                           "AuthenticateClientResponseEsipa", "authenticateClientErrorEsipa"),
    "getBoundProfilePackage": (0xBF3A, "getBoundProfilePackageResponseEsipa",
                               "GetBoundProfilePackageResponseEsipa",
                               "getBoundProfilePackageErrorEsipa"),
    "cancelSession": (0xBF41, "cancelSessionResponseEsipa", "CancelSessionResponseEsipa",
                      "cancelSessionError"),
}
# The members of each ok alternative after its transactionId [0], by tag, as the ES9+
# answer names them (SGP.22 6.5.2.6-6.5.2.10)
OK_MEMBERS = {
    "initiateAuthentication": {0x30: ("serverSigned1", "serverCertificate"),
                               0x5F37: ("serverSignature1",), 0x04: ("euiccCiPKIdToBeUsed",)},
    "authenticateClient": {0xBF25: ("profileMetadata",),
                           0x30: ("smdpSigned2", "smdpCertificate"),
                           0x5F37: ("smdpSignature2",)},
    "getBoundProfilePackage": {0xBF36: ("boundProfilePackage",)},
    "cancelSession": {},
}


class RelayRefused(Es9Refused):
    """The eIM answered the ESipa error alternative: ``number`` and SGP.32's ``code``."""

    def __init__(self, function: str, number: int, name: str) -> None:
        super().__init__(function, None, None, f"the eIM relayed {name} ({number})")
        self.number, self.name = number, name

    @property
    def code(self) -> str:
        return self.name


def _field(body: dict, function: str, name: str) -> bytes:
    """A base64 member of the ES9+ request the download flow made."""
    try:
        return base64.b64decode(body[name], validate=True)
    except (KeyError, TypeError, ValueError):
        raise Es9Malformed(function, f"the request has no valid {name}") from None


def _transaction(body: dict, function: str) -> bytes:
    try:
        return bytes.fromhex(body["transactionId"])
    except (KeyError, TypeError, ValueError):
        raise Es9Malformed(function, "the request has no valid transactionId") from None


def _content(data: bytes) -> bytes:
    head = read_header(data)
    return data[head.header_length:head.total_length]


def request(function: str, body: dict) -> bytes:
    """The ESipa request (DER EsipaMessageFromIpaToEim) for an ES9+ call."""
    if function == "handleNotification":
        return tlv(0xBF3D, tlv(0xA0, _field(body, function, "pendingNotification")))
    if function == "initiateAuthentication":
        content = (tlv(0x81, _field(body, function, "euiccChallenge"))
                   + tlv(0x83, str(body.get("smdpAddress", "")).encode())
                   + _field(body, function, "euiccInfo1"))
        return tlv(0xBF39, content)
    head = tlv(0x80, _transaction(body, function))
    if function == "authenticateClient":
        return tlv(0xBF3B, head + _field(body, function, "authenticateServerResponse"))
    if function == "getBoundProfilePackage":
        return tlv(0xBF3A, head + _field(body, function, "prepareDownloadResponse"))
    if function == "cancelSession":
        card = _field(body, function, "cancelSessionResponse")
        return tlv(0xBF41, head + tlv(0xA1, _content(card)))
    raise Es9Malformed(function, "not an ES9+ function the eIM relays")


def response(function: str, raw: bytes | None) -> dict:
    """The ES9+ answer of the eIM's ESipa response ``raw``; RelayRefused for its error
    alternative, Es9Malformed for an answer that is not the response."""
    _, alternative, type_name, error = FUNCTIONS[function]
    try:
        kind, value = answer(raw, alternative)
    except EsipaError as exc:
        raise Es9Malformed(function, str(exc)) from None
    if kind == error:
        names = {n: name for name, n in integer_names(type_name, error, sgp32_types()).items()}
        raise RelayRefused(function, value, names.get(value, str(value)))
    if function == "authenticateClient" and kind != "authenticateClientOkDPEsipa":
        raise Es9Malformed(function, f"the eIM answered {kind}, not a profile to download")
    status = {"status": "Executed-Success"}
    result: dict = {"header": {"functionExecutionStatus": status}}
    members = children(raw)[0][1]  # the ok alternative's 'A0', as received
    wanted = {tag: list(names) for tag, names in OK_MEMBERS[function].items()}
    for tag, member in children(members):
        if tag == 0x80:
            result["transactionId"] = _content(member).hex().upper()
        elif wanted.get(tag):
            result[wanted[tag].pop(0)] = base64.b64encode(member).decode()
    if function == "initiateAuthentication" and "transactionId" not in result:
        result["transactionId"] = value[1]["serverSigned1"]["transactionId"].hex().upper()
    return result


def esipa_es9(esipa: EsipaCall) -> Es9Call:
    """An ES9+ caller that goes through the eIM of ``esipa`` (any SM-DP+: the eIM picks it,
    by smdpAddress and then by transactionId, SGP.32 6.3.2.1)."""

    def call(function: str, body: dict) -> dict | None:
        message = request(function, body)
        try:
            raw = esipa(message)
        except EsipaUnreachable as exc:
            raise Es9Unreachable(function, str(exc)) from exc
        if function == "handleNotification":
            if raw is not None:  # 6.3.2.4: no output data
                raise Es9Malformed(function, "the eIM answered a notification with content")
            return None
        try:
            return response(function, raw)
        except TlvError as exc:
            raise Es9Malformed(function, f"the eIM's answer is not TLV: {exc}") from None

    return call
