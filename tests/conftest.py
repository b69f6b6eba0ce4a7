"""Shared fixtures: a generated test PKI (once per session), an in-process card with its
store, and a factory that puts profiles into a card's store the way an installation does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from tests.support.profile_metadata import iccid_bytes, metadata_der


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
    from euicc_tools.emulator.card import build_card

    c = build_card(store, credentials)
    c.power_on()
    return c


@pytest.fixture
def es10(card):
    """An ES10 client on the in-process card, opened the way lpac opens one."""
    from euicc_tools.lpa.es10 import Es10Client
    from euicc_tools.lpa.link import DirectLink

    client = Es10Client(DirectLink(card))
    client.open()
    yield client
    client.close()


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
