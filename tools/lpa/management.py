"""ES10 reading and management as the LPAd does it, transport-free (an :class:`Es10Client`
in, plain JSON-ready data out): the eUICC's identity and capabilities (SGP.22 5.7.20
GetEID, 5.7.8 GetEUICCInfo1/2, 5.7.3 GetEuiccConfiguredAddresses), its profiles (5.7.15
GetProfilesInfo) and the management functions (5.7.16 EnableProfile, 5.7.17
DisableProfile, 5.7.18 DeleteProfile, 5.7.19 eUICCMemoryReset, 5.7.21 SetNickname, 5.7.4
SetDefaultDpAddress).

Requests are built and checked here before the card is reached (an identifier that is
neither an ICCID nor an ISD-P AID, a nickname longer than profileNickname allows:
:class:`~.outcome.RequestError`); result names, limits and bit names come from the card's
own SGP.22 ASN.1 module (euicc/asn1/rsp.asn), never retyped. A result other than ok is an
:class:`~.outcome.LpaFailure` named as SGP.22 names it."""

from __future__ import annotations

from dataclasses import dataclass

from euicc.asn1 import named_bits, rsp_types
from euicc.coding import CodingError, bcd_text, encode_iccid
from euicc.store import PROFILE_BY_AID, PROFILE_BY_ICCID

from .es10 import Es10Client, number_name
from .outcome import LpaFailure, RequestError


@dataclass(frozen=True)
class Es10Action:
    """One management function: its SGP.22 name, types and where its result is."""

    function: str  # SGP.22 name, for messages
    request: str  # ASN.1 type of the request
    response: str  # ASN.1 type of the response
    result: str  # the INTEGER member of the response holding the result


ACTIONS = {
    "enable": Es10Action("ES10c.EnableProfile", "EnableProfileRequest",
                         "EnableProfileResponse", "enableResult"),
    "disable": Es10Action("ES10c.DisableProfile", "DisableProfileRequest",
                          "DisableProfileResponse", "disableResult"),
    "delete": Es10Action("ES10c.DeleteProfile", "DeleteProfileRequest",
                         "DeleteProfileResponse", "deleteResult"),
    "memory_reset": Es10Action("ES10c.eUICCMemoryReset", "EuiccMemoryResetRequest",
                               "EuiccMemoryResetResponse", "resetResult"),
    "nickname": Es10Action("ES10c.SetNickname", "SetNicknameRequest",
                           "SetNicknameResponse", "setNicknameResult"),
    "set_default_address": Es10Action("ES10a.SetDefaultDpAddress",
                                      "SetDefaultDpAddressRequest",
                                      "SetDefaultDpAddressResponse",
                                      "setDefaultDpAddressResult"),
}
# VersionType members (OCTET STRING (SIZE(3)), SGP.22 2.5.7: major, minor, revision)
VERSION_FIELDS = frozenset({"svn", "profileVersion", "euiccFirmwareVer", "ts102241Version",
                            "globalplatformVersion", "ppVersion", "lowestSvn"})


def _member(type_name: str, member: str) -> dict:
    return next(m for m in rsp_types()[type_name]["members"] if m["name"] == member)


def result_name(action: str, code: int) -> str:
    """SGP.22's name of a result, e.g. iccidOrAidNotFound; an unnamed number stays one."""
    spec = ACTIONS[action]
    return number_name(spec.response, code, spec.result)


def nickname_limit() -> int:
    """The largest profileNickname SetNickname accepts, in characters (SGP.22 5.7.21)."""
    (low, high), = _member("SetNicknameRequest", "profileNickname")["size"]
    return int(high)


def bit_names(type_name: str, value: tuple[bytes, int]) -> list[str]:
    """The names of the bits set in a named BIT STRING value of the SGP.22 module."""
    data, length = value
    return [name for name, bit in named_bits(type_name).items()
            if bit < length and data[bit // 8] & (0x80 >> (bit % 8))]


# -- requests (ASN.1 values of the SGP.22 module) ------------------------------------------

def identifier(text: str) -> tuple[str, bytes]:
    """A 32-hex-digit ISD-P AID or an ICCID of up to 20 digits."""
    if len(text) == 32:
        try:
            return (PROFILE_BY_AID, bytes.fromhex(text))
        except ValueError:
            pass
    if not text.isdigit() or len(text) > 20:
        raise RequestError(f"{text!r} is neither an ICCID nor an ISD-P AID")
    try:
        return (PROFILE_BY_ICCID, encode_iccid(text))
    except CodingError as exc:
        raise RequestError(f"{text!r}: {exc}") from None


def switch(target: str, refresh: bool) -> dict:
    """EnableProfileRequest / DisableProfileRequest (the same members)."""
    return {"profileIdentifier": identifier(target), "refreshFlag": refresh}


def delete(target: str) -> tuple[str, bytes]:
    return identifier(target)


def nickname(iccid: str, name: str) -> dict:
    kind, value = identifier(iccid)
    if kind != PROFILE_BY_ICCID:
        raise RequestError("SetNickname names the profile by its ICCID, not its ISD-P AID")
    limit = nickname_limit()
    if len(name) > limit:
        raise RequestError(f"the nickname has {len(name)} characters; SGP.22 profileNickname "
                           f"is UTF8String (SIZE(0..{limit})), at most {limit}")
    return {"iccid": value, "profileNickname": name}


def memory_reset(operational: bool, test: bool, address: bool) -> dict:
    """ResetOptions (5.7.19): deleteOperationalProfiles(0), deleteFieldLoadedTestProfiles(1),
    resetDefaultSmdpAddress(2), as a DER BIT STRING (no trailing zero bits)."""
    bits = [n for n, on in enumerate((operational, test, address)) if on]
    value = (bytes([sum(0x80 >> n for n in bits)]), max(bits) + 1) if bits else (b"", 0)
    return {"resetOptions": value}


def default_address(address: str) -> dict:
    return {"defaultDpAddress": address}


def perform(es10: Es10Client, action: str, request) -> dict:
    """Run one management function; its result by name, LpaFailure unless ok."""
    spec = ACTIONS[action]
    code = es10.call(spec.request, request, spec.response)[spec.result]
    name = result_name(action, code)
    if code != 0:
        raise LpaFailure(f"{spec.function}: {name} ({code})", name)
    return {"function": spec.function, "result": name}


# -- reading ---------------------------------------------------------------------------------

def jsonable(value, key: str = ""):
    """A decoded SGP.22 value as JSON: OCTET STRINGs in hex (VersionType as a dotted
    version), BIT STRINGs as their bits ('1011'), CHOICEs as {alternative: value}."""
    if isinstance(value, dict):
        return {k: jsonable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v, key) for v in value]
    if isinstance(value, bytes):
        if key in VERSION_FIELDS and len(value) == 3:
            return ".".join(str(b) for b in value)
        return value.hex().upper()
    if isinstance(value, tuple) and len(value) == 2:
        first, second = value
        if isinstance(first, str):
            return {first: jsonable(second, first)}
        bits = "".join(f"{b:08b}" for b in first)
        return bits[:second]
    return value


def info(es10: Es10Client) -> dict:
    """EID, EUICCInfo1, EUICCInfo2 and the configured addresses, as lpac's `chip info`."""
    addresses = es10.call("EuiccConfiguredAddressesRequest", {},
                          "EuiccConfiguredAddressesResponse")
    return {
        "eid": es10.get_eid(),
        "euiccInfo1": jsonable(es10.call("GetEuiccInfo1Request", {}, "EUICCInfo1")),
        "euiccInfo2": jsonable(es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2")),
        "configuredAddresses": {"defaultDpAddress": addresses.get("defaultDpAddress"),
                                "rootDsAddress": addresses.get("rootDsAddress")},
    }


def profiles(es10: Es10Client) -> list[dict]:
    """GetProfilesInfo without a tag list (everything, as lpac asks), one row a profile."""
    kind, value = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    if kind != "profileInfoListOk":
        name = number_name("ProfileInfoListError", value)
        raise LpaFailure(f"ES10c.GetProfilesInfo: {name} ({value})", name)
    rows = []
    for p in value:
        rows.append({
            "iccid": bcd_text(p["iccid"]) if "iccid" in p else None,
            "isdpAid": p["isdpAid"].hex().upper() if "isdpAid" in p else None,
            "state": (number_name("ProfileState", p["profileState"])
                      if "profileState" in p else None),
            # DEFAULT operational: DER leaves it out (X.690 11.5), asn1tools gives it back
            "class": number_name("ProfileClass", p.get("profileClass", 2)),
            "name": p.get("profileName"),
            "provider": p.get("serviceProviderName"),
            "nickname": p.get("profileNickname"),
            "ppr": bit_names("PprIds", p["profilePolicyRules"])
            if "profilePolicyRules" in p else [],
        })
    return rows
