"""Profile download as an LPA does it (SGP.22 3.1.3, with lpac's order and BPP cut,
shared/docs/interop.md): ES10b on the card, ES9+ to the SM-DP+ over HTTPS (or any
callable for tests)."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from euicc.asn1 import decode_exact, encode, rsp
from euicc.tlv import children, read_header, split, tlv

from .es10 import Es10Client

Es9Call = Callable[[str, dict], dict | None]
DEFAULT_TAC = bytes.fromhex("35290611")


class DownloadError(RuntimeError):
    """The download stopped; ``code`` is the eUICC's SGP.22 error code when the card
    refused (authenticateErrorCode, downloadErrorCode)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def https_es9(address: str, timeout: float = 30.0) -> Es9Call:
    """ES9+ over HTTPS like lpac: https://<address>, no certificate verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def call(function: str, body: dict) -> dict | None:
        request = urllib.request.Request(
            f"https://{address}/gsma/rsp2/es9plus/{function}", json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-Admin-Protocol": "gsma/rsp/v2.2.2",
             "User-Agent": "gsma-rsp-lpad"})
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            data = response.read()
        if not data:
            return None
        answer = json.loads(data)
        status = answer.get("header", {}).get("functionExecutionStatus", {})
        if status.get("status") != "Executed-Success":
            raise DownloadError(f"{function}: {status}")
        return answer

    return call


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
    result: dict  # the decoded ProfileInstallationResult
    raw: bytes
    transaction_id: bytes

    @property
    def ok(self) -> bool:
        return self.result["profileInstallationResultData"]["finalResult"][0] == "successResult"


def download(es10: Es10Client, es9: Es9Call, smdp_address: str, matching_id: str,
             confirmation_code: str | None = None,
             cut: Callable[[list[bytes]], list[bytes]] | None = None) -> DownloadResult:
    """Run one download; ``cut`` may shorten the BPP pieces (interruption tests)."""
    spec = rsp()
    challenge = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    info1 = es10.store_data(bytes.fromhex("BF2000"))
    init = es9("initiateAuthentication", {
        "euiccChallenge": b64(challenge["euiccChallenge"]), "euiccInfo1": b64(info1),
        "smdpAddress": smdp_address})
    ctx = encode(spec, "CtxParams1", ("ctxParamsForCommonAuthentication", {
        "matchingId": matching_id,
        "deviceInfo": {"tac": DEFAULT_TAC, "deviceCapabilities": {}}}))
    field = {k: base64.b64decode(init[k]) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}
    response1 = es10.store_data(tlv(0xBF38, field["serverSigned1"] + field["serverSignature1"]
                                    + field["euiccCiPKIdToBeUsed"]
                                    + field["serverCertificate"] + ctx))
    kind, value = decode_exact(spec, "AuthenticateServerResponse", response1)
    if kind != "authenticateResponseOk":
        raise DownloadError(f"AuthenticateServer: {value}", value["authenticateErrorCode"])
    transaction_id = value["euiccSigned1"]["transactionId"]
    auth = es9("authenticateClient", {"transactionId": init["transactionId"],
                                      "authenticateServerResponse": b64(response1)})
    signed2 = base64.b64decode(auth["smdpSigned2"])
    hash_cc = b""
    if decode_exact(spec, "SmdpSigned2", signed2)["ccRequiredFlag"]:
        if confirmation_code is None:
            raise DownloadError("the SM-DP+ wants a confirmation code")
        hash_cc = tlv(0x04, hashlib.sha256(hashlib.sha256(confirmation_code.encode()).digest()
                                           + transaction_id).digest())
    response2 = es10.store_data(tlv(0xBF21, signed2 + base64.b64decode(auth["smdpSignature2"])
                                    + hash_cc + base64.b64decode(auth["smdpCertificate"])))
    kind, value = decode_exact(spec, "PrepareDownloadResponse", response2)
    if kind != "downloadResponseOk":
        raise DownloadError(f"PrepareDownload: {value}", value["downloadErrorCode"])
    bound = es9("getBoundProfilePackage", {"transactionId": init["transactionId"],
                                           "prepareDownloadResponse": b64(response2)})
    pieces = bpp_pieces(base64.b64decode(bound["boundProfilePackage"]))
    if cut is not None:
        pieces = cut(pieces)
    for piece in pieces:
        answer = es10.store_data(piece)
        if answer:
            return DownloadResult(decode_exact(spec, "ProfileInstallationResult", answer),
                                  answer, transaction_id)
    raise DownloadError("the card gave no ProfileInstallationResult")
