"""Profile Policy Rules against the Rules Authorisation Table (SGP.22 2.9.1 PPRs, 2.9.2.1
RAT and ProfilePolicyAuthorisationRule, 5.5.3 StoreMetadata): a profile whose metadata
sets a PPR that no rule of the card's RAT allows for its profileOwner, or that the card
declares as a forbiddenProfilePolicyRule (EUICCInfo2, SGP.22 4.3), is not installed; the
download ends with errorReason pprNotAllowed(15) (SGP.22 5.7.6).

Matching (SGP.22 2.9.2.1): a rule allows a PPR named in its pprIds to the operators of its
allowedOperators. An OperatorId matches a profileOwner when each digit of its mccMnc is
the owner's or the wildcard 'E', and its gid1 / gid2, where present, equal the owner's. A
profile that names no profileOwner is allowed a PPR only by the 'any operator' OperatorId
(mccMnc 'EEEEEE' without gid1 or gid2): nothing narrower can match an owner not given.
"""

from __future__ import annotations

import re

from euicc.asn1 import named_bits

from .bits import set_bits
from .config import EuiccConfig, OperatorId

WILDCARD = 0xE
PLMN = re.compile(r"[0-9E]{5,6}")


def encode_plmn(text: str) -> bytes:
    """'MCCMNC' (five or six digits, 'E' as a wildcard digit) as 3GPP TS 24.008 10.5.1.3
    codes it: MCC2|MCC1, MNC3|MCC3, MNC2|MNC1, MNC digit 3 'F' for a two-digit MNC."""
    digits = [int(c, 16) for c in text.upper()]
    mcc, mnc = digits[:3], digits[3:]
    mnc3 = mnc[2] if len(mnc) == 3 else 0xF
    return bytes([mcc[1] << 4 | mcc[0], mnc3 << 4 | mcc[2], mnc[1] << 4 | mnc[0]])


def plmn_text(mcc_mnc: bytes) -> str:
    """The digits of a TS 24.008 PLMN, MCC then MNC ('E': a wildcard digit)."""
    if len(mcc_mnc) != 3:
        return mcc_mnc.hex().upper()
    n = [(b & 0x0F, b >> 4) for b in mcc_mnc]
    digits = [n[0][0], n[0][1], n[1][0], n[2][0], n[2][1]] + ([] if n[1][1] == 0xF
                                                             else [n[1][1]])
    return "".join(f"{d:X}" for d in digits)


def _nibbles(data: bytes) -> list[int]:
    return [x for b in data for x in (b >> 4, b & 0x0F)]


def operator_matches(operator: OperatorId, owner: dict | None) -> bool:
    if owner is None:
        return operator == OperatorId()
    mcc_mnc = owner.get("mccMnc", b"")
    if len(mcc_mnc) != len(operator.mcc_mnc) or any(
            r != WILDCARD and r != o
            for r, o in zip(_nibbles(operator.mcc_mnc), _nibbles(mcc_mnc), strict=True)):
        return False
    return all(want is None or owner.get(key) == want
               for key, want in (("gid1", operator.gid1), ("gid2", operator.gid2)))


def ppr_refusal(metadata: dict, config: EuiccConfig) -> str | None:
    """Why the StoreMetadataRequest ``metadata`` (decoded) may not be installed under
    ``config``'s RAT and forbidden PPRs, or None when every PPR it sets is allowed."""
    rules = metadata.get("profilePolicyRules")
    if not rules:
        return None
    names = {number: name for name, number in named_bits("PprIds").items()}
    owner = metadata.get("profileOwner")
    for bit in sorted(set_bits(rules)):
        name = names.get(bit, f"PPR bit {bit}")
        if name in (config.forbidden_pprs or ()):
            return f"{name} is a forbiddenProfilePolicyRule of this eUICC"
        if not any(name in rule.ppr_ids and any(operator_matches(op, owner)
                                                for op in rule.operators)
                   for rule in config.rat):
            who = "a profile without profileOwner" if owner is None else (
                f"profile owner {plmn_text(owner.get('mccMnc', b''))}")
            return f"no RAT rule allows {name} for {who}"
    return None
