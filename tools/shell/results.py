"""What the shell's management actions answer and accept, read from the card's own SGP.22
ASN.1 module (euicc/asn1/rsp.asn, SGP.22 Annex H) rather than retyped: the named numbers
of each ES10c result (5.7.16 EnableProfile, 5.7.17 DisableProfile, 5.7.18 DeleteProfile,
5.7.19 eUICCMemoryReset, 5.7.21 SetNickname) and the SIZE constraint of profileNickname
(UTF8String (SIZE(0..64))), so a name or a limit cannot drift from the module."""

from __future__ import annotations

from dataclasses import dataclass

from euicc.asn1 import rsp_types


@dataclass(frozen=True)
class Es10Action:
    """One management action: its ES10c function and where its result is."""

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
}


def _member(type_name: str, member: str) -> dict:
    return next(m for m in rsp_types()[type_name]["members"] if m["name"] == member)


def result_names(action: str) -> dict[int, str]:
    """The named numbers of the action's result, e.g. {0: 'ok', 1: 'iccidOrAidNotFound'}."""
    spec = ACTIONS[action]
    named = _member(spec.response, spec.result)["named-numbers"]
    return {int(number): name for name, number in named.items()}


def result_name(action: str, code: int) -> str:
    """SGP.22's name of a result; a number the module does not name stays a number."""
    return result_names(action).get(code, str(code))


def nickname_limit() -> int:
    """The largest profileNickname SetNickname accepts, in characters (SGP.22 5.7.21)."""
    (low, high), = _member("SetNicknameRequest", "profileNickname")["size"]
    return int(high)
