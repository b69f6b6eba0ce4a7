"""SGP.22 test values the unit and integration tests put into a card's store: the Iccid (as
EF.ICCID codes it, ETSI TS 102 221 13.2: nibble swapped BCD, 'F' padded) and the
StoreMetadataRequest of a profile (SGP.22 5.5.3: names, class, notification addresses,
PPRs, icon)."""

from __future__ import annotations

from euicc.asn1 import encode, rsp, sgp32
from euicc.coding import encode_iccid


def iccid_bytes(iccid: str) -> bytes:
    """ICCID digits -> the 10 bytes of SGP.22 Iccid (nibble swapped BCD, F padded)."""
    return encode_iccid(iccid)


def metadata_der(iccid: str, name: str = "Test profile", spn: str = "Test SP",
                 profile_class: int = 2, notify: dict[int, str] | None = None,
                 ppr: tuple[int, ...] = (), icon: bytes | None = None,
                 ecall: bool | None = None, fallback_allowed: bool | None = None) -> bytes:
    """``ecall`` / ``fallback_allowed``: SGP.32 v1.2's ecallIndication / fallbackAllowed
    (4.4), when given."""
    value = {"iccid": iccid_bytes(iccid), "serviceProviderName": spn, "profileName": name,
             "profileClass": profile_class}
    if icon is not None:
        value.update(iconType=1, icon=icon)
    if notify:
        value["notificationConfigurationInfo"] = [
            {"profileManagementOperation": (bytes([0x80 >> bit]), bit + 1),
             "notificationAddress": address}
            for bit, address in notify.items()
        ]
    if ppr:
        length = max(ppr) + 1
        value["profilePolicyRules"] = (bytes([sum(0x80 >> b for b in ppr)]), length)
    if ecall is None and fallback_allowed is None:
        return encode(rsp(), "StoreMetadataRequest", value)
    if ecall is not None:
        value["ecallIndication"] = ecall
    if fallback_allowed is not None:
        value["fallbackAllowed"] = fallback_allowed
    return encode(sgp32(), "SGP32-StoreMetadataRequest", value)
