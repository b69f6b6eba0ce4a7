"""The IPA's flows (SGP.32 v1.0, IPAd) on top of the LPA, transport-free: an
:class:`~.es10.Es10Client` to the card, an ESipa caller to the eIM, ES9+ callers to the
SM-DP+s. One poll round, as onomondo-ipa polls (shared/docs/sgp32-peers.md):

1. ES10b.GetEimConfigurationData (5.9.18): the eIM and its eimFqdn (or the caller's address).
2. Pending notifications (3.5, 5.9.11): the SGP.22 ones to their SM-DP+ (ES9+
   HandleNotification, removed once accepted); eUICC Package Results left on the card
   from an earlier round to the eIM (ESipa.ProvideEimPackageResult, 6.3.2.7), each removed
   (ES10b.RemoveNotificationFromList, 5.9.12) once the eIM acknowledged it (2.11.1.4).
3. ESipa.GetEimPackage (6.3.2.6) with the EID, and what it brings executed:
   - an eUICC Package (2.11.1.1): relayed byte for byte to ES10b.LoadEuiccPackage (5.9.1),
     the card's EuiccPackageResult byte for byte to ProvideEimPackageResult, the
     acknowledged seqNumbers removed;
   - a Profile Download Trigger (2.11.1.3, indirect profile download 3.2): the SGP.22
     download (3.1.3) with the activation code's SM-DP+ and matchingId (or the default
     SM-DP+ address), the Install notification delivered, the ProfileInstallationResult
     reported in a ProfileDownloadTriggerResult (2.11.2.3), or profileDownloadError;
   - an eUICC Data Request (2.11.1.2): the tags asked ('A5' 'A6' from ES10b.GetCerts
     5.9.10, '80' the default SM-DP+ address, 'BF20' 'BF22' EUICCInfo1/2) as IpaEuiccData
     (2.11.2.2), or ipaEuiccDataError incorrectTagList(1) for a tag it cannot give.

Indirect mode (``indirect``, SGP.32 3.2 with the IPA capability
indirectRspServerCommunication): every ES9+ call of the round, the download's and the
notifications', goes through the eIM's ES9+ relay (6.3.2.1-6.3.2.5, :mod:`.relay`) instead
of to the SM-DP+; the same download flow, another ES9+ caller.

A refused package (euiccPackageErrorSigned / Unsigned) or download is still reported to the
eIM, then raised (:class:`~.outcome.LpaFailure` with the report as data): exit 1."""

from __future__ import annotations

from collections.abc import Callable

from euicc.asn1 import Asn1Error, decode_exact, encode, integer_names, rsp, sgp32, sgp32_types
from euicc.tlv import TlvError, parse, parse_tags, read_header, tlv

from . import notifications
from .download import download
from .es10 import CardError, Es10Client
from .esipa import EsipaCall, EsipaMalformed, answer
from .management import jsonable
from .notifications import Es9For
from .outcome import LpaFailure, RequestError
from .relay import esipa_es9

EsipaFor = Callable[[str], EsipaCall]  # eIM address -> ESipa caller
# ProvideEimPackageResult eimPackageError (6.3.2.7)
INVALID_PACKAGE_FORMAT, UNDEFINED_ERROR = 1, 127
INCORRECT_TAG_LIST = 1  # IpaEuiccDataResponse ipaEuiccDataError


def _call(es10: Es10Client, request: bytes, response_type: str):
    return decode_exact(sgp32(), response_type, es10.store_data(request))


def eim_configuration(es10: Es10Client) -> list[dict]:
    """ES10b.GetEimConfigurationData (5.9.18): the associated eIMs."""
    return _call(es10, bytes.fromhex("BF5500"),
                 "GetEimConfigurationDataResponse")["eimConfigurationDataList"]


def add_initial_eim(es10: Es10Client, request: bytes) -> dict:
    """ES10b.AddInitialEim (5.9.4) with an AddInitialEimRequest as given (a file from
    ``euicc-emu pki eim``); LpaFailure with SGP.32's name when the card refuses."""
    try:
        decode_exact(sgp32(), "AddInitialEimRequest", request)
    except Asn1Error as exc:
        raise RequestError(f"not an AddInitialEimRequest: {exc}") from None
    kind, value = _call(es10, request, "AddInitialEimResponse")
    if kind == "addInitialEimError":
        name = _name("AddInitialEimResponse", "addInitialEimError", value)
        raise LpaFailure(f"ES10b.AddInitialEim: {name} ({value})", name)
    return {"function": "ES10b.AddInitialEim", "result": "ok",
            "entries": [jsonable(v) for v in value]}


# SGP.32 v1.2 functions an IPA calls on its own (a lost connection, an emergency call):
# operation -> (function, request/response type stem, result member)
V12_FUNCTIONS = {
    "fallback": ("ES10b.ExecuteFallbackMechanism", "ExecuteFallbackMechanism",
                 "executeFallbackMechanismResult"),  # 5.9.20
    "return-from-fallback": ("ES10b.ReturnFromFallback", "ReturnFromFallback",
                             "returnFromFallbackResult"),  # 5.9.21
    "emergency-enable": ("ES10b.EnableEmergencyProfile", "EnableEmergencyProfile",
                         "enableEmergencyProfileResult"),  # 5.9.22
    "emergency-disable": ("ES10b.DisableEmergencyProfile", "DisableEmergencyProfile",
                          "disableEmergencyProfileResult"),  # 5.9.23
}


def v12_function(es10: Es10Client, operation: str, refresh: bool) -> dict:
    """One of :data:`V12_FUNCTIONS` with its refreshFlag; LpaFailure with SGP.32's name of
    a result other than ok(0)."""
    function, stem, member = V12_FUNCTIONS[operation]
    request = encode(sgp32(), f"{stem}Request", {"refreshFlag": refresh})
    code = _call(es10, request, f"{stem}Response")[member]
    if code != 0:
        name = _name(f"{stem}Response", member, code)
        raise LpaFailure(f"{function}: {name} ({code})", name)
    return {"function": function, "result": "ok"}


def _name(type_name: str, member: str, number: int) -> str:
    names = {n: name for name, n in integer_names(type_name, member, sgp32_types()).items()}
    return names.get(number, str(number))


def _remove(es10: Es10Client, seqs: list[int]) -> list[int]:
    """RemoveNotificationFromList (5.9.12) of each acknowledged seqNumber; the removed ones."""
    done = []
    for seq in seqs:
        raw = es10.store_data(encode(rsp(), "NotificationSentRequest", {"seqNumber": seq}))
        if decode_exact(rsp(), "NotificationSentResponse", raw)[
                "deleteNotificationStatus"] == 0:
            done.append(seq)
    return done


def _provide(es10: Es10Client, esipa: EsipaCall, body: bytes) -> dict:
    """ProvideEimPackageResult (6.3.2.7) and the removal of what the eIM acknowledged."""
    acks = answer(esipa(body), "provideEimPackageResultResponse").get(
        "eimAcknowledgements", [])
    return {"acknowledged": acks, "removed": _remove(es10, acks)}


def _pending_results(es10: Es10Client) -> list[bytes]:
    """The eUICC Package Results kept on the card (5.9.11 searchCriteria
    euiccPackageResults), each exactly as the card signed it."""
    raw = es10.store_data(encode(sgp32(), "SGP32-RetrieveNotificationsListRequest",
                                 {"searchCriteria": ("euiccPackageResults", None)}))
    kind, _ = decode_exact(sgp32(), "SGP32-RetrieveNotificationsListResponse", raw)
    if kind != "euiccPackageResultList":
        return []
    (_, choice), = parse(raw)  # 'BF2B' around the alternative's 'A2'
    (_, listed), = parse(choice)
    return [tlv(tag, value) for tag, value in parse(listed)]


def _package(es10: Es10Client, esipa: EsipaCall, request: bytes) -> dict:
    """An eUICC Package: LoadEuiccPackage, the result to the eIM."""
    try:
        result = es10.store_data(request)
        kind, value = decode_exact(sgp32(), "EuiccPackageResult", result)
    except (CardError, Asn1Error) as exc:
        report = {"package": "euiccPackageRequest", "error": str(exc)}
        report.update(_provide(es10, esipa, encode(sgp32(), "EsipaMessageFromIpaToEim", (
            "provideEimPackageResult", ("eimPackageError", INVALID_PACKAGE_FORMAT)))))
        raise LpaFailure(f"ES10b.LoadEuiccPackage: {exc}", None, report) from None
    report = {"package": "euiccPackageRequest", "result": kind, "value": jsonable(value)}
    report.update(_provide(es10, esipa, tlv(0xBF50, result)))
    if kind == "euiccPackageErrorSigned":
        code = value["euiccPackageErrorDataSigned"]["euiccPackageErrorCode"]
        name = _name("EuiccPackageErrorCode", None, code)
        raise LpaFailure(f"ES10b.LoadEuiccPackage: {name} ({code})", name, report)
    if kind == "euiccPackageErrorUnsigned":
        raise LpaFailure("ES10b.LoadEuiccPackage: euiccPackageErrorUnsigned (the eIM is "
                         "unknown or its signature does not verify)",
                         "euiccPackageErrorUnsigned", report)
    return report


def _smdp_target(es10: Es10Client, data: tuple) -> tuple[str, str]:
    kind, value = data
    if kind == "activationCode":
        from euicc_tools.fleet.device import parse_activation_code
        try:
            target = parse_activation_code(value)
        except ValueError as exc:
            raise LpaFailure(str(exc), "invalidActivationCode") from None
        return target.smdp, target.matching_id
    if kind == "contactDefaultSmdp":
        addresses = es10.call("EuiccConfiguredAddressesRequest", {},
                              "EuiccConfiguredAddressesResponse")
        if not addresses.get("defaultDpAddress"):
            raise LpaFailure("contactDefaultSmdp: the card has no default SM-DP+ address")
        return addresses["defaultDpAddress"], ""
    raise LpaFailure(f"a Profile Download Trigger with {kind} is not supported")


def _trigger(es10: Es10Client, esipa: EsipaCall, es9_for: Es9For, trigger: dict) -> dict:
    """Indirect profile download: the SGP.22 download, its result to the eIM."""
    transaction = trigger.get("eimTransactionId")
    head = {"eimTransactionId": transaction} if transaction is not None else {}
    report: dict = {"package": "profileDownloadTriggerRequest"}
    try:
        if "profileDownloadData" not in trigger:
            raise LpaFailure("the Profile Download Trigger has no profileDownloadData")
        smdp, matching_id = _smdp_target(es10, trigger["profileDownloadData"])
        report.update(smdp=smdp, matchingId=matching_id)
        done = download(es10, es9_for(smdp), smdp, matching_id)
        report["notification"] = notifications.deliver(es10, es9_for, done.seq_number)
    except Exception as exc:
        value = {**head, "profileDownloadTriggerResultData": ("profileDownloadError", {})}
        report.update(error=str(exc))
        report.update(_provide(es10, esipa, encode(sgp32(), "EsipaMessageFromIpaToEim", (
            "provideEimPackageResult", ("profileDownloadTriggerResult", value)))))
        if isinstance(exc, LpaFailure):
            exc.data = report
        raise
    result = decode_exact(sgp32(), "ProfileInstallationResult", done.raw)
    value = {**head, "profileDownloadTriggerResultData": ("profileInstallationResult", result)}
    report.update(result="installed" if done.ok else "installFailed",
                  iccid=(done.metadata or {}).get("iccid"))
    report.update(_provide(es10, esipa, encode(sgp32(), "EsipaMessageFromIpaToEim", (
        "provideEimPackageResult", ("profileDownloadTriggerResult", value)))))
    if not done.ok:
        raise LpaFailure("the indirect profile download ended in errorResult",
                         "installFailed", report)
    return report


def _certs(es10: Es10Client) -> dict:
    kind, value = _call(es10, bytes.fromhex("BF5600"), "GetCertsResponse")
    if kind != "certs":
        raise LpaFailure(f"ES10b.GetCerts: {kind} {value}")
    return value


DATA_TAGS: dict[int, Callable[[Es10Client], dict]] = {
    0xA5: lambda es10: {"eumCertificate": _certs(es10)["eumCertificate"]},
    0xA6: lambda es10: {"euiccCertificate": _certs(es10)["euiccCertificate"]},
    0x80: lambda es10: {k: v for k, v in {"defaultSmdpAddress": es10.call(
        "EuiccConfiguredAddressesRequest", {}, "EuiccConfiguredAddressesResponse").get(
        "defaultDpAddress")}.items() if v},
    0xBF20: lambda es10: {"euiccInfo1": _call(es10, bytes.fromhex("BF2000"), "EUICCInfo1")},
    0xBF22: lambda es10: {"euiccInfo2": _call(es10, bytes.fromhex("BF2200"),
                                              "SGP32-EUICCInfo2")},
}


def _euicc_data(es10: Es10Client, esipa: EsipaCall, request: dict) -> dict:
    """An eUICC Data Request: the tags asked, as IpaEuiccData (2.11.2.2)."""
    try:
        tags = parse_tags(request["tagList"])
    except TlvError:
        tags = [-1]
    if all(tag in DATA_TAGS for tag in tags):
        data: dict = {}
        for tag in tags:
            data.update(DATA_TAGS[tag](es10))
        value = ("ipaEuiccData", data)
    else:
        value = ("ipaEuiccDataError", INCORRECT_TAG_LIST)
    report = {"package": "ipaEuiccDataRequest", "tags": [f"{t:X}" for t in tags],
              "result": value[0]}
    report.update(_provide(es10, esipa, encode(sgp32(), "EsipaMessageFromIpaToEim", (
        "provideEimPackageResult", ("ipaEuiccDataResponse", value)))))
    return report


def get_package(es10: Es10Client, esipa: EsipaCall, es9_for: Es9For, eid: str) -> dict:
    """ESipa.GetEimPackage and its execution (step 3)."""
    raw = esipa(encode(sgp32(), "EsipaMessageFromIpaToEim",
                       ("getEimPackageRequest", {"eidValue": bytes.fromhex(eid)})))
    if raw is not None and raw[:2] == b"\xbf\x4f":
        try:
            head = read_header(raw)
            inner = raw[head.header_length:head.header_length + head.length]
            if inner[:2] == b"\xbf\x51" and head.header_length + head.length == len(raw):
                return _package(es10, esipa, inner)  # relayed as signed, not re-encoded
        except TlvError:
            raise EsipaMalformed("ESipa: the eIM's GetEimPackageResponse is not TLV") from None
    kind, value = answer(raw, "getEimPackageResponse")
    if kind == "eimPackageError":
        name = _name("GetEimPackageResponse", "eimPackageError", value)
        if name == "noEimPackageAvailable":
            return {"package": None}
        raise LpaFailure(f"ESipa.GetEimPackage: {name} ({value})", name)
    if kind == "profileDownloadTriggerRequest":
        return _trigger(es10, esipa, es9_for, value)
    return _euicc_data(es10, esipa, value)


# -- ESipa.TransferEimPackage (6.3.3.1): a package the eIM pushes -----------------------------
PUSH_TAG, PROVIDE_TAG = 0xBF4E, 0xBF50  # TransferEimPackage, ProvideEimPackageResult


class _Kept:
    """An ESipa caller that keeps the ProvideEimPackageResult it is given and acknowledges
    nothing: a pushed package's result goes back in the HTTP answer instead."""

    def __init__(self) -> None:
        self.body: bytes | None = None

    def __call__(self, body: bytes) -> bytes:
        self.body = body
        return encode(sgp32(), "EsipaMessageFromEimToIpa",
                      ("provideEimPackageResultResponse", {}))


def _received() -> bytes:
    return encode(sgp32(), "EsipaMessageFromIpaToEim",
                  ("transferEimPackageResponse", ("eimPackageReceived", None)))


def push_error(code: int) -> bytes:
    return encode(sgp32(), "EsipaMessageFromIpaToEim",
                  ("transferEimPackageResponse", ("eimPackageError", code)))


def transfer(es10: Es10Client, esipa: EsipaCall, es9_for: Es9For,
             body: bytes) -> tuple[bytes, dict, Callable[[], dict] | None]:
    """A TransferEimPackageRequest the eIM pushed (6.3.3.1): (the TransferEimPackageResponse,
    the report, what is left to do once it is answered). An eUICC Package runs on the card
    and its EuiccPackageResult (byte for byte) is the answer, an eUICC Data Request the
    IpaEuiccDataResponse (the alternatives ProvideEimPackageResult has, 6.3.2.7);
    eimAcknowledgements remove those results from the card (5.9.12) and a Profile Download
    Trigger is taken (eimPackageReceived) and carried out after the answer, its result then
    brought to the eIM with ProvideEimPackageResult over ``esipa``. A body that is no
    TransferEimPackageRequest is eimPackageError invalidPackageFormat(1)."""
    try:
        kind, (alternative, value) = decode_exact(sgp32(), "EsipaMessageFromEimToIpa", body)
        if kind != "transferEimPackageRequest":
            raise Asn1Error(f"{kind}, not transferEimPackageRequest")
    except (Asn1Error, TypeError, ValueError) as exc:
        return push_error(INVALID_PACKAGE_FORMAT), {"error": str(exc)}, None
    if alternative == "eimAcknowledgements":
        return _received(), {"package": alternative, "removed": _remove(es10, value)}, None
    if alternative == "profileDownloadTriggerRequest":
        return (_received(), {"package": alternative},
                lambda: _trigger(es10, esipa, es9_for, value))
    kept = _Kept()
    try:
        if alternative == "euiccPackageRequest":  # relayed as signed, not re-encoded
            head = read_header(body)
            report = _package(es10, kept, body[head.header_length:])
        else:
            report = _euicc_data(es10, kept, value)
    except LpaFailure as failure:  # refused by the card: its answer goes back all the same
        report = {**(failure.data or {}), "refused": str(failure)}
    for name in ("acknowledged", "removed"):
        report.pop(name, None)
    if kept.body is None or kept.body[:2] != PROVIDE_TAG.to_bytes(2, "big"):
        return push_error(UNDEFINED_ERROR), report, None
    return PUSH_TAG.to_bytes(2, "big") + kept.body[2:], report, None


def poll(es10: Es10Client, esipa_for: EsipaFor, es9_for: Es9For,
         address: str | None = None, indirect: bool = False) -> dict:
    """One poll round (steps 1-3); the report of what was done. ``indirect``: ES9+ through
    the eIM."""
    eims = eim_configuration(es10)
    if not eims:
        raise LpaFailure("the card has no eIM (ipa add-initial-eim FILE first)", "noEim")
    eim = eims[0]
    address = address or eim.get("eimFqdn")
    if not address:
        raise LpaFailure(f"the eIM {eim['eimId']} has no eimFqdn: give --eim ADDRESS")
    esipa = esipa_for(address)
    report: dict = {"eimId": eim["eimId"], "eim": address}
    if indirect:
        relayed = esipa_es9(esipa)
        es9_for = lambda _address: relayed  # noqa: E731 - the eIM picks the SM-DP+
        report["indirect"] = True
    pending = notifications.pending(es10)
    report["notifications"] = [notifications.deliver(es10, es9_for, n["seqNumber"])
                               for n in pending]
    report["results"] = [_provide(es10, esipa, tlv(0xBF50, r)) for r in _pending_results(es10)]
    try:
        report.update(get_package(es10, esipa, es9_for, es10.get_eid()))
    except LpaFailure as failure:
        failure.data = {**report, **(failure.data or {})}  # the whole round, for the report
        raise
    return report

