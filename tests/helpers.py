"""Helpers shared by unit and integration tests: SGP.22 test data builders and access to
the read-only reference material in ../shared (skipping cleanly where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from euicc.asn1 import encode, rsp
from euicc.coding import encode_iccid

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path



def iccid_bytes(iccid: str) -> bytes:
    """ICCID digits -> the 10 bytes of SGP.22 Iccid (nibble swapped BCD, F padded)."""
    return encode_iccid(iccid)


def metadata_der(iccid: str, name: str = "Test profile", spn: str = "Test SP",
                 profile_class: int = 2, notify: dict[int, str] | None = None,
                 ppr: tuple[int, ...] = (), icon: bytes | None = None) -> bytes:
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
    return encode(rsp(), "StoreMetadataRequest", value)


def es9_direct(smdp):
    """ES9+ calls straight into a euicc_tools.smdp.es9.Smdp, without HTTPS."""
    functions = {"initiateAuthentication": smdp.initiate_authentication,
                 "authenticateClient": smdp.authenticate_client,
                 "getBoundProfilePackage": smdp.get_bound_profile_package,
                 "handleNotification": smdp.handle_notification,
                 "cancelSession": smdp.cancel_session}
    return lambda name, body: functions[name](body)
