"""Unprotected Profile Packages served by matchingId (TCA eUICC Profile Package: the
first element is the ProfileHeader, whose ICCID and profile type name the profile), and
the StoreMetadata (SGP.22 5.5.3) the SM-DP+ derives from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from euicc.asn1 import encode, rsp
from euicc.coding import swap_nibbles
from euicc.tlv import TlvError, parse, split

MATCHING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ALL_EVENTS = (b"\xf0", 4)  # install, enable, disable, delete


@dataclass(frozen=True)
class Profile:
    matching_id: str
    package: bytes  # the UPP, DER
    iccid: bytes  # 10 bytes as in EF.ICCID / SGP.22 Iccid (nibble-swapped BCD)
    name: str


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
    # the header has the digits in reading order, Iccid has them swapped (euicc.coding)
    return Profile(matching_id, package, swap_nibbles(iccid), name)


def store_metadata(profile: Profile, provider: str, notify_address: str) -> bytes:
    return encode(rsp(), "StoreMetadataRequest", {
        "iccid": profile.iccid,
        "serviceProviderName": provider,
        "profileName": profile.matching_id,
        "notificationConfigurationInfo": [
            {"profileManagementOperation": ALL_EVENTS, "notificationAddress": notify_address},
        ],
    })
