"""Every file of an enabled, consistent profile is selectable (ETSI TS 102 221 11.1.1): the
MF's files by path from the MF, each ADF by its AID and the files below it by FID from
there, with P2 asking for the FCP ('04') or for nothing ('0C'). No SELECT of an existing
file answers anything but '61xx' / '9000' (issue 9 saw '6985' after enabling a profile
whose StoreMetadata named another ICCID; such a BPP is now refused, SGP.22 5.5.3, and the
sweep found no SELECT whose status word depends on the ICCID: the only '6985' a SELECT
gives is for terminating an application that is not the current one, P2 '4x')."""

from __future__ import annotations

import pytest

from euicc.fs.model import path_text
from euicc.store_image import tree_from_rows
from euicc.tlv import tlv
from euicc_tools.lpa.download import download
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.shared_material import SHARED

ADDRESS = "smdp.test.example"
PACKAGES = ["BUILT"] + sorted(p.stem for p in (SHARED / "profiles").glob("*.der")) + sorted(
    p.stem for p in (SHARED / "profiles" / "ts48v5").glob("*.der"))


@pytest.fixture
def enabled(request, es10, store, pki_dir, tmp_path):
    """The package ``request.param`` downloaded through the test SM-DP+ and enabled."""
    name = request.param
    folder = tmp_path / "profiles"
    folder.mkdir()
    if name == "BUILT":
        package = build_upp("89441234000000006610", "001010000006610", k=bytes(range(16)),
                            opc=bytes(16))
    else:
        found = [*(SHARED / "profiles").glob(f"{name}.der"),
                 *(SHARED / "profiles" / "ts48v5").glob(f"{name}.der")]
        if not found:
            pytest.skip(f"{name} is not available on this machine")
        package = found[0].read_bytes()
    (folder / f"{name}.der").write_bytes(package)
    assert download(es10, es9_direct(Smdp(ADDRESS, pki_dir, folder)), ADDRESS, name).ok
    (profile,) = store.profiles()
    answer = es10.store_data(tlv(0xBF31, tlv(0xA0, tlv(0x5A, profile.iccid)) + tlv(0x81, b"\0")))
    assert answer == bytes.fromhex("BF3103800100")  # enableResult ok
    return profile


def _selects(rows) -> list[tuple[str, list[bytes]]]:
    """For every file: the SELECT data that reach it (AID of its ADF, then FIDs)."""
    plans = []
    for f in tree_from_rows(rows).walk():
        path = path_text(f.path)
        parts = path.split("/")
        chain = [f]
        while chain[-1].parent is not None:
            chain.append(chain[-1].parent)
        chain.reverse()  # the MF first, as the path's parts
        adf = next((i for i in range(1, len(chain)) if chain[i].aid), None)
        if adf is None:
            plans.append((path, [("path", bytes.fromhex("".join(parts[1:]) or "3F00"))]))
        else:
            plans.append((path, [("aid", chain[adf].aid)] + [("fid", bytes.fromhex(fid))
                                                            for fid in parts[adf + 1:]]))
    return plans


@pytest.mark.parametrize("enabled", PACKAGES, indirect=True)
def test_every_file_of_the_enabled_profile_is_selectable(card, store, enabled):
    plans = _selects(store.profile_files(enabled.isdp_aid))
    assert len(plans) > 10
    refused = []
    for p2 in (0x04, 0x0C):
        for path, steps in plans:
            assert card.transmit(bytes.fromhex("00A4000C023F00"))[-2:] == b"\x90\x00"
            for kind, value in steps:
                # the MF by its FID, the MF's files by path from the MF (P1 '08')
                p1 = {"path": 0x08 if value != b"\x3f\x00" else 0x00, "aid": 0x04,
                      "fid": 0x00}[kind]
                sw = card.transmit(bytes([0x00, 0xA4, p1, p2, len(value)]) + value)[-2:]
                if sw[0] not in (0x61, 0x90):
                    refused.append((path, kind, p2, sw.hex()))
                    break
    assert refused == []
    # the sweep sees refusals: an AID no file has is not found
    assert card.transmit(bytes.fromhex("00A4040407A0000000879999"))[-2:] == b"\x6a\x82"
