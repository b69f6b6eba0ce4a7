"""Shared fixtures: a generated test PKI (once per session), an in-process card with its
store, and a factory that puts profiles into a card's store the way an installation does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from euicc.asn1 import encode, rsp
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory) -> Path:
    from euicc.pki import generate_test_pki

    directory = tmp_path_factory.mktemp("pki")
    generate_test_pki(directory)
    return directory


@pytest.fixture(scope="session")
def credentials(pki_dir):
    from euicc.pki import load_card_credentials

    return load_card_credentials(pki_dir)


@pytest.fixture
def store(tmp_path) -> CardStore:
    s = CardStore(tmp_path / "state")
    yield s
    s.close()


@pytest.fixture
def card(store, credentials):
    from applets import build_card

    c = build_card(store, credentials)
    c.power_on()
    return c


def iccid_bytes(iccid: str) -> bytes:
    """ICCID digits -> the 10 bytes of SGP.22 Iccid (nibble swapped BCD, F padded)."""
    digits = iccid.ljust(20, "F")
    return bytes.fromhex("".join(digits[i + 1] + digits[i] for i in range(0, 20, 2)))


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


@pytest.fixture
def add_profile(store):
    counter = iter(range(0x10, 0xFF))

    def add(iccid: str, enabled: bool = False, **kwargs) -> ProfileRecord:
        der = metadata_der(iccid, **kwargs)
        record = ProfileRecord(
            isdp_aid=bytes.fromhex(f"A0000005591010FFFFFFFF890000{next(counter):02X}00"),
            iccid=iccid_bytes(iccid),
            state=ProfileState.ENABLED if enabled else ProfileState.DISABLED,
            profile_class=ProfileClass(kwargs.get("profile_class", 2)),
            metadata=der,
        )
        store.add_profile(record)
        return record

    return add
