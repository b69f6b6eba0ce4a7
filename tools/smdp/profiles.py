"""Unprotected Profile Packages served by matchingId (TCA eUICC Profile Package: the
first element is the ProfileHeader, whose ICCID and profile type name the profile), and
the StoreMetadata (SGP.22 5.5.3) the SM-DP+ derives from them.

A package ``<matchingId>.der`` may have a sidecar ``<matchingId>.metadata.json`` with the
Profile Metadata members SGP.32 v1.2 adds for IoT profiles (4.4): ``{"ecallIndication":
true}`` makes it an Emergency Profile, ``{"fallbackAllowed": true}`` lets the eIM make it the
Fallback Profile. A sidecar that is not such an object is an error of the profile (the
matchingId is then unknown, as for a damaged package), logged."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from euicc.asn1 import encode, rsp, sgp32
from euicc.coding import swap_nibbles
from euicc.tlv import TlvError, parse, split

MATCHING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ALL_EVENTS = (b"\xf0", 4)  # install, enable, disable, delete
IOT_METADATA = ("ecallIndication", "fallbackAllowed")  # SGP.32 v1.2 4.4, BOOLEANs
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    matching_id: str
    package: bytes  # the UPP, DER
    iccid: bytes  # 10 bytes as in EF.ICCID / SGP.22 Iccid (nibble-swapped BCD)
    name: str
    iot_metadata: dict = field(default_factory=dict)  # SGP.32 v1.2 members, from the sidecar


def iot_metadata(path: Path) -> dict:
    """The sidecar's members (ValueError naming what is wrong); none without a sidecar."""
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if not isinstance(value, dict) or not set(value) <= set(IOT_METADATA) or not all(
            isinstance(v, bool) for v in value.values()):
        raise ValueError(f"{path.name}: an object of {', '.join(IOT_METADATA)}: true/false")
    return value


def header_fields(package: bytes) -> dict[int, bytes]:
    """The ProfileHeader's members by tag ([0] major version ... [3] iccid)."""
    first_tag, header = parse(split(package)[0])[0]
    if first_tag != 0xA0:
        raise ValueError("the package does not start with a ProfileHeader")
    return dict(parse(header))


def load_profile(directory: Path, matching_id: str) -> Profile | None:
    if not MATCHING_ID.match(matching_id):
        return None
    path = directory / f"{matching_id}.der"
    if not path.is_file():
        return None
    package = path.read_bytes()
    try:
        header = header_fields(package)
    except (TlvError, ValueError, IndexError):
        return None
    iccid = header.get(0x83)
    if iccid is None or len(iccid) != 10:
        return None
    name = header.get(0x82, matching_id.encode()).decode("utf-8", "replace")
    try:
        extra = iot_metadata(directory / f"{matching_id}.metadata.json")
    except ValueError as exc:
        log.warning("profile %s: %s", matching_id, exc)
        return None
    # the header has the digits in reading order, Iccid has them swapped (euicc.coding)
    return Profile(matching_id, package, swap_nibbles(iccid), name, extra)


def store_metadata(profile: Profile, provider: str, notify_address: str) -> bytes:
    value = {
        "iccid": profile.iccid,
        "serviceProviderName": provider,
        "profileName": profile.matching_id,
        "notificationConfigurationInfo": [
            {"profileManagementOperation": ALL_EVENTS, "notificationAddress": notify_address},
        ],
    }
    if profile.iot_metadata:  # SGP.32 v1.2 4.4
        return encode(sgp32(), "SGP32-StoreMetadataRequest", {**value, **profile.iot_metadata})
    return encode(rsp(), "StoreMetadataRequest", value)
