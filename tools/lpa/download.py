"""Profile download as the LPAd does it (SGP.22 3.1.3, with lpac's order and BPP cut,
shared/docs/interop.md): ES10b on the card, ES9+ to the SM-DP+ over HTTPS (or any
callable for tests), and the error handling SGP.22 asks of the LPAd where lpac has none:

- AuthenticateServer answered authenticateResponseError (5.7.13): the error goes to the
  SM-DP+ in ES9+.AuthenticateClient (3.0.1, 5.6.3), which ends the session;
- PrepareDownload answered downloadResponseError (5.7.5): the error goes to the SM-DP+ in
  ES9+.GetBoundProfilePackage (3.1.3, 5.6.2), which ends the session;
- the End User rejects the download after AuthenticateClient (3.1.3.1 Download
  Confirmation): the Common Cancel Session procedure (3.0.2): ES10b.CancelSession with the
  End User's reason (5.7.14), then ES9+.CancelSession with the eUICC's signed answer
  (5.6.5); a confirmation code the SM-DP+ asks for (ccRequiredFlag) and nobody gave is such
  a rejection, reason endUserRejection;
- the card fails while loading the Bound Profile Package with anything but a
  ProfileInstallationResult (an error status word, a malformed answer, no answer at the
  end): Common Cancel Session, reason loadBppExecutionError (5.7.14);
- the SM-DP+ fails GetBoundProfilePackage after PrepareDownload succeeded: Common Cancel
  Session, reason undefinedReason (5.7.14 has no closer one), so the eUICC drops the
  session's one-time key now, not at the next session.

A ProfileInstallationResult, successful or not, is the result (5.7.6): the card keeps it as
the pending Install notification, which the caller delivers (:mod:`.notifications`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from euicc.asn1 import Asn1Error, decode_exact, encode, rsp, rsp_types
from euicc.coding import bcd_text
from euicc.tlv import TlvError, children, read_header, split, tlv

from .es9 import Es9Call, Es9Error, Es9Malformed, answer_field, https_es9
from .es10 import Es10Client, Es10Error, decode_response, number_name
from .link import LinkError

__all__ = ["CancelSessionReason", "DownloadError", "DownloadResult", "Es9Call", "b64",
           "bpp_pieces", "cancel_session", "download", "https_es9"]

DEFAULT_TAC = bytes.fromhex("35290611")
# The reasons as the SGP.22 ASN.1 names them (CancelSessionReason, 5.7.14)
CancelSessionReason = IntEnum("CancelSessionReason", {
    name: int(number)
    for name, number in rsp_types()["CancelSessionReason"]["named-numbers"].items()})


class DownloadError(RuntimeError):
    """The download stopped: the card refused (``code``: its authenticateErrorCode or
    downloadErrorCode, ``name``: SGP.22's name for it), or the LPAd cancelled the session
    (``name``: the CancelSessionReason)."""

    def __init__(self, message: str, code: int | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.name = name


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def bpp_pieces(bpp: bytes) -> list[bytes]:
    """Cut a BPP the way lpac passes it to LoadBoundProfilePackage (SGP.22 2.5.5)."""
    outer = read_header(bpp)
    parts = children(bpp)
    pieces = [bpp[: outer.header_length] + parts[0][1]]
    for tag, part in parts[1:]:
        if tag in (0xA1, 0xA3):
            head = read_header(part)
            pieces.append(part[: head.header_length])
            pieces.extend(split(part[head.header_length:]))
        else:
            pieces.append(part)
    return pieces


@dataclass
class DownloadResult:
    result: dict | None  # the decoded ProfileInstallationResult; None when rejected
    raw: bytes
    transaction_id: bytes
    rejected: str | None = None  # the End User's CancelSessionReason, when rejected
    metadata: dict | None = None  # the profileMetadata of AuthenticateClient, decoded

    @property
    def ok(self) -> bool:
        return (self.result is not None and
                self.result["profileInstallationResultData"]["finalResult"][0]
                == "successResult")

    @property
    def seq_number(self) -> int | None:
        """The seqNumber of the Install notification the card keeps for this result."""
        if self.result is None:
            return None
        return self.result["profileInstallationResultData"]["notificationMetadata"][
            "seqNumber"]


def error_names(result: dict) -> tuple[str, str]:
    """bppCommandId and errorReason of an errorResult by their SGP.22 names (5.7.6)."""
    error = result["profileInstallationResultData"]["finalResult"][1]
    return (number_name("ErrorResult", error["bppCommandId"], "bppCommandId"),
            number_name("ErrorResult", error["errorReason"], "errorReason"))


def cancel_session(es10: Es10Client, es9: Es9Call, es9_transaction: str,
                   transaction_id: bytes, reason: CancelSessionReason) -> None:
    """The Common Cancel Session procedure (SGP.22 3.0.2): ES10b.CancelSession (5.7.14), and
    the eUICC's answer to the SM-DP+ in ES9+.CancelSession (5.6.5), whichever alternative
    of CancelSessionResponse it is: an eUICC that refused (its session already gone) is
    news the SM-DP+ needs to end its side. DownloadError if the eUICC refused."""
    raw = es10.store_data(encode(rsp(), "CancelSessionRequest", {
        "transactionId": transaction_id, "reason": int(reason)}))
    kind, value = decode_response("CancelSessionResponse", raw)
    error = None
    if kind != "cancelSessionResponseOk":
        name = number_name("CancelSessionResponse", value, "cancelSessionResponseError")
        error = DownloadError(f"ES10b.CancelSession: {name}", value, name)
    try:
        es9("cancelSession", {"transactionId": es9_transaction,
                              "cancelSessionResponse": b64(raw)})
    except Es9Error as answer:
        if error is None:
            raise
        error.add_note(f"the SM-DP+ was told: {answer}")
    if error is not None:
        raise error


def _cancel_after(exc: BaseException, es10: Es10Client, es9: Es9Call, es9_transaction: str,
                  transaction_id: bytes, reason: CancelSessionReason) -> None:
    """Cancel the session because of ``exc``; how that went becomes a note of ``exc``
    (what went wrong first stays the failure)."""
    try:
        cancel_session(es10, es9, es9_transaction, transaction_id, reason)
    except (Es10Error, Es9Error, DownloadError, LinkError) as failure:
        exc.add_note(f"cancelling the session ({reason.name}) failed too: {failure}")
    else:
        exc.add_note(f"the session was cancelled ({reason.name})")


def _metadata(answer: dict) -> dict | None:
    """The profile the SM-DP+ offers (StoreMetadata, 5.5.3), for the End User to confirm."""
    try:
        value = decode_exact(rsp(), "StoreMetadataRequest", answer_field(
            answer, "authenticateClient", "profileMetadata"))
    except (Es9Malformed, Asn1Error):
        return None
    return {"iccid": bcd_text(value["iccid"]), "name": value.get("profileName"),
            "provider": value.get("serviceProviderName")}


def download(es10: Es10Client, es9: Es9Call, smdp_address: str, matching_id: str,
             confirmation_code: str | None = None,
             cut: Callable[[list[bytes]], list[bytes]] | None = None,
             reject: CancelSessionReason | None = None) -> DownloadResult:
    """Run one download. ``reject``: the End User declines the offered profile with this
    reason. ``cut`` may shorten the BPP pieces: the LPAd then stops after them as one that
    crashed would, without cancelling (interruption tests)."""
    spec = rsp()
    challenge = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    info1 = es10.store_data(bytes.fromhex("BF2000"))
    init = es9("initiateAuthentication", {
        "euiccChallenge": b64(challenge["euiccChallenge"]), "euiccInfo1": b64(info1),
        "smdpAddress": smdp_address})
    ctx = encode(spec, "CtxParams1", ("ctxParamsForCommonAuthentication", {
        "matchingId": matching_id,
        "deviceInfo": {"tac": DEFAULT_TAC, "deviceCapabilities": {}}}))
    field = {k: answer_field(init, "initiateAuthentication", k) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}
    es9_transaction = init.get("transactionId")
    if not isinstance(es9_transaction, str):
        raise Es9Malformed("initiateAuthentication", "the answer has no transactionId")
    response1 = es10.store_data(tlv(0xBF38, field["serverSigned1"] + field["serverSignature1"]
                                    + field["euiccCiPKIdToBeUsed"]
                                    + field["serverCertificate"] + ctx))
    kind, value = decode_response("AuthenticateServerResponse", response1)
    if kind != "authenticateResponseOk":
        _refused(es9, "authenticateClient", {"transactionId": es9_transaction,
                                             "authenticateServerResponse": b64(response1)},
                 "ES10b.AuthenticateServer", "AuthenticateErrorCode",
                 value["authenticateErrorCode"])
    transaction_id = value["euiccSigned1"]["transactionId"]
    auth = es9("authenticateClient", {"transactionId": es9_transaction,
                                      "authenticateServerResponse": b64(response1)})
    signed2 = answer_field(auth, "authenticateClient", "smdpSigned2")
    try:
        cc_required = decode_exact(spec, "SmdpSigned2", signed2)["ccRequiredFlag"]
    except Asn1Error as exc:
        raise Es9Malformed("authenticateClient", f"smdpSigned2: {exc}") from None
    metadata = _metadata(auth)

    # 3.1.3.1 Download Confirmation: the End User declines, or gives no confirmation code
    if reject is not None:
        cancel_session(es10, es9, es9_transaction, transaction_id, reject)
        return DownloadResult(None, b"", transaction_id, rejected=reject.name,
                              metadata=metadata)
    hash_cc = b""
    if cc_required:
        if confirmation_code is None:
            reason = CancelSessionReason.endUserRejection
            error = DownloadError("the SM-DP+ asks for a confirmation code and none was "
                                  "given", None, reason.name)
            _cancel_after(error, es10, es9, es9_transaction, transaction_id, reason)
            raise error
        hash_cc = tlv(0x04, hashlib.sha256(hashlib.sha256(confirmation_code.encode()).digest()
                                           + transaction_id).digest())
    response2 = es10.store_data(tlv(0xBF21, signed2 + answer_field(
        auth, "authenticateClient", "smdpSignature2") + hash_cc + answer_field(
        auth, "authenticateClient", "smdpCertificate")))
    kind, value = decode_response("PrepareDownloadResponse", response2)
    if kind != "downloadResponseOk":
        _refused(es9, "getBoundProfilePackage", {"transactionId": es9_transaction,
                                                 "prepareDownloadResponse": b64(response2)},
                 "ES10b.PrepareDownload", "DownloadErrorCode", value["downloadErrorCode"])
    try:
        bound = es9("getBoundProfilePackage", {"transactionId": es9_transaction,
                                               "prepareDownloadResponse": b64(response2)})
        bpp = answer_field(bound, "getBoundProfilePackage", "boundProfilePackage")
        try:
            pieces = bpp_pieces(bpp)
        except (TlvError, IndexError) as exc:
            raise Es9Malformed("getBoundProfilePackage", f"the BPP does not parse: {exc}") \
                from None
    except Es9Error as exc:
        _cancel_after(exc, es10, es9, es9_transaction, transaction_id,
                      CancelSessionReason.undefinedReason)
        raise
    if cut is not None:
        pieces = cut(pieces)
    try:
        for piece in pieces:
            answer = es10.store_data(piece)
            if answer:
                result = decode_response("ProfileInstallationResult", answer)
                return DownloadResult(result, answer, transaction_id, metadata=metadata)
        error = DownloadError("the card gave no ProfileInstallationResult")
    except Es10Error as exc:
        _cancel_after(exc, es10, es9, es9_transaction, transaction_id,
                      CancelSessionReason.loadBppExecutionError)
        raise
    if cut is None:
        _cancel_after(error, es10, es9, es9_transaction, transaction_id,
                      CancelSessionReason.loadBppExecutionError)
    raise error


def _refused(es9: Es9Call, function: str, body: dict, es10_function: str, code_type: str,
             code: int) -> None:
    """The eUICC refused: tell the SM-DP+ (which ends the session and answers with a
    failure of its own), then raise DownloadError with the eUICC's code."""
    name = number_name(code_type, code)
    error = DownloadError(f"{es10_function}: {name} ({code})", code, name)
    try:
        es9(function, body)
    except Es9Error as answer:
        error.add_note(f"the SM-DP+ was told: {answer}")
    raise error
