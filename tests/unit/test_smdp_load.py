"""The test SM-DP+ under a fleet's load (issue 14, point 4; tools/smdp): concurrent
downloads over HTTPS, each bound to the eUICC that authenticated it (SGP.22 2.5.5: the BPP
is made for that eUICC's one-time key, 5.6.2), and one package served to many eUICCs with a
distinct ICCID per download (ProfileHeader and EF.ICCID), refused with SGP.22 8.2.6/3.7 once
the range is used up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from euicc.asn1 import pe
from euicc.coding import decode_bcd, luhn_valid, swap_nibbles
from euicc.tlv import split
from euicc_tools.fleet import Fleet
from euicc_tools.fleet.device import Device, DeviceError, Target
from euicc_tools.lpa import management
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.smdp.iccids import IccidSequence
from euicc_tools.smdp.profiles import load_profile
from tests.support.fleet import https_smdp, profiles_folder, verified_https


@pytest.fixture
def profiles(tmp_path) -> Path:
    return profiles_folder(tmp_path / "profiles")


def test_each_download_gets_its_own_iccid_in_both_places(profiles):
    original = load_profile(profiles, "TS48")
    sequence = IccidSequence(start=41)
    served = [sequence.next_for(original) for _ in range(3)]
    digits = [decode_bcd(p.iccid) for p in served]
    assert len(set(digits)) == 3 and all(luhn_valid(d) for d in digits)
    assert all(len(d) == len(decode_bcd(original.iccid)) for d in digits)
    assert digits[0][:-1].endswith("00000041")  # the counter before the check digit
    for profile in served:
        elements, before = split(profile.package), split(original.package)
        header = pe().decode("ProfileElement", elements[0])[1]
        assert swap_nibbles(header["iccid"]) == profile.iccid
        (mf,) = [pe().decode("ProfileElement", e)[1] for e in elements if e[:1] == b"\xb0"]
        assert ("fillFileContent", profile.iccid) in mf["ef-iccid"]
        changed = [n for n, (a, b) in enumerate(zip(elements, before, strict=True)) if a != b]
        assert changed == [0, elements.index(next(e for e in elements if e[:1] == b"\xb0"))]


def test_bad_counter_ranges_are_refused():
    with pytest.raises(ValueError, match="cannot start"):
        IccidSequence(start=10**8)
    with pytest.raises(ValueError, match="too short"):
        IccidSequence(width=12).iccid_for("8944123400", 0)


def test_concurrent_downloads_are_each_bound_to_their_own_euicc(pki_dir, profiles, tmp_path):
    fleet = Fleet(tmp_path / "fleet", pki_dir, "load", open_limit=4)
    errors, got = [], {}
    with https_smdp(pki_dir, profiles) as (smdp, address, connect_to):
        https = verified_https(pki_dir, connect_to)

        def device_run(index: int) -> None:
            device = Device(fleet.card(index), https.for_device())
            try:
                got[index] = [device.download(Target(address, "TS48"))["iccid"]
                              for _ in range(3)]
            except DeviceError as exc:  # pragma: no cover - reported by the assert below
                errors.append(exc)
            finally:
                device.close()

        threads = [threading.Thread(target=device_run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == [] and len(got) == 8
        installs = {(i.eid, decode_bcd(i.iccid)) for i in smdp.installs if i.success}
    expected = {(fleet.card(i).eid, iccid) for i, iccids in got.items() for iccid in iccids}
    assert installs == expected and len({iccid for _, iccid in expected}) == 24
    for index, iccids in got.items():  # on the card: the profiles it was given, no other
        with fleet.card(index).link() as link, Es10Client(link) as es10:
            assert sorted(p["iccid"] for p in management.profiles(es10)) == sorted(iccids)
    fleet.close()


def test_a_used_up_iccid_range_is_refused_with_8_2_6_3_7(pki_dir, profiles, tmp_path):
    """SGP.22 5.6.3 AuthenticateClient: subject 8.2.6 (Profile), reason 3.7 (Unavailable)."""
    fleet = Fleet(tmp_path / "fleet", pki_dir, "range")
    with https_smdp(pki_dir, profiles) as (smdp, address, connect_to):
        smdp.iccids = IccidSequence(start=99, width=2)
        device = Device(fleet.card(0), verified_https(pki_dir, connect_to).for_device())
        device.download(Target(address, "TS48"))
        with pytest.raises(DeviceError, match="8.2.6/3.7") as caught:
            device.download(Target(address, "TS48"))
        assert "all 100 ICCIDs of the range are given out" in str(caught.value)
    fleet.close()
