"""The in-process fleet (issue 14, point 1; tools/fleet): cards with distinct EIDs and keys
under one EUM, reproducible from the seed, their state kept per card and surviving both
parking (the open-card limit) and a new Fleet over the same folder."""

from __future__ import annotations

import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from euicc.crypto import certs
from euicc.pki import eid_is_valid, read_certificate
from euicc_tools.fleet import Fleet, FleetError, FleetIssuer
from euicc_tools.lpa import management
from euicc_tools.lpa.download import download
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS


def public(identity) -> bytes:
    return identity.private_key.public_key().public_bytes(Encoding.X962,
                                                          PublicFormat.UncompressedPoint)


def test_cards_have_distinct_valid_eids_and_keys_issued_by_the_eum(pki_dir):
    issuer = FleetIssuer(pki_dir, "seed")
    cards = [issuer.credentials(i) for i in range(20)]
    assert len({c.eid for c in cards}) == 20 and all(eid_is_valid(c.eid) for c in cards)
    keys = [public(i) for c in cards for i in c.identities]
    assert len(set(keys)) == len(keys) == 40  # NIST and brainpool, each card its own
    eums = {sfx: read_certificate(pki_dir / "EUM" / f"CERT_EUM_ECDSA_{sfx}.der")
            for sfx in ("NIST", "BRP")}
    for card in cards:
        for identity in card.identities:
            cert = x509.load_der_x509_certificate(identity.certificate_der)
            eum = eums["NIST" if identity.curve == "nist" else "BRP"]
            assert certs.verify_issued_by(cert, eum) and certs.euicc_name_permitted(cert, eum)
            assert certs.eid_from_certificate(cert) == card.eid
            assert certs.has_role(cert, certs.OID_RSP_ROLE_EUICC)


def test_identities_are_reproducible_from_the_seed(pki_dir):
    first, again = FleetIssuer(pki_dir, "seed"), FleetIssuer(pki_dir, b"seed")
    other = FleetIssuer(pki_dir, "another seed")
    for index in (0, 7, 10**6):
        a, b, c = (x.credentials(index) for x in (first, again, other))
        assert a.eid == b.eid and [i.certificate_der for i in a.identities] == [
            i.certificate_der for i in b.identities]
        assert [public(i) for i in a.identities] == [public(i) for i in b.identities]
        assert c.eid != a.eid and public(c.identities[0]) != public(a.identities[0])


def test_workers_never_share_an_eid(pki_dir):
    eids = [FleetIssuer(pki_dir, "seed", worker=w).eid(i) for w in range(3) for i in range(50)]
    assert len(set(eids)) == 150
    w1 = FleetIssuer(pki_dir, "seed", worker=1).eid(0)
    assert w1[-20:-14] == "000001"  # the worker digits before the 12 index digits


@pytest.mark.parametrize("worker, index", [(-1, 0), (10**6, 0), (0, -1), (0, 10**12)])
def test_out_of_range_indexes_are_refused(pki_dir, worker, index):
    with pytest.raises(FleetError, match="not in 0"):
        FleetIssuer(pki_dir, "seed", worker=worker).eid(index)


def test_a_pki_without_the_eum_key_is_refused(pki_dir, tmp_path):
    copy = tmp_path / "pki"
    shutil.copytree(pki_dir, copy)
    for key in (copy / "EUM").glob("SK_*"):
        key.unlink()
    with pytest.raises(FleetError, match="no EUM certificate with its private key"):
        FleetIssuer(copy, "seed")
    with pytest.raises(FleetError, match="no CI certificate"):
        FleetIssuer(tmp_path / "nothing", "seed")


def _download(fleet: Fleet, index: int, smdp, matching_id: str = "TINY") -> str:
    with fleet.card(index).link() as link, Es10Client(link) as es10:
        result = download(es10, es9_direct(smdp), ADDRESS, matching_id)
        assert result.ok, result.result
        return result.metadata["iccid"]


def _profiles(fleet: Fleet, index: int) -> list[dict]:
    with fleet.card(index).link() as link, Es10Client(link) as es10:
        return management.profiles(es10)


def test_each_card_keeps_its_own_state_through_parking_and_a_new_fleet(pki_dir, smdp,
                                                                        tmp_path):
    fleet = Fleet(tmp_path / "fleet", pki_dir, "seed", open_limit=2)
    iccid = _download(fleet, 3, smdp)
    for index in range(4, 8):  # more cards than the limit: card 3 is parked
        assert _profiles(fleet, index) == []
    assert fleet.open_cards() <= 2 and not fleet.card(3).is_open
    assert [p["iccid"] for p in _profiles(fleet, 3)] == [iccid]  # opened again from its file
    assert fleet.opened == 6  # 3..7, and 3 once more
    fleet.close()
    again = Fleet(tmp_path / "fleet", pki_dir, "seed")
    rows = _profiles(again, 3)
    assert [(p["iccid"], p["state"]) for p in rows] == [(iccid, "disabled")]
    assert _profiles(again, 4) == []
    with again.card(3).link() as link, Es10Client(link) as es10:
        assert es10.get_eid() == again.card(3).eid
    again.close()


def test_a_state_folder_of_another_seed_is_refused(pki_dir, tmp_path):
    fleet = Fleet(tmp_path / "fleet", pki_dir, "seed")
    with fleet.card(0).link():
        pass
    fleet.close()
    other = Fleet(tmp_path / "fleet", pki_dir, "other")
    (tmp_path / "fleet" / other.card(0).eid).symlink_to(tmp_path / "fleet" / fleet.card(0).eid)
    with pytest.raises(FleetError, match="another seed or worker made it"):
        with other.card(0).link():
            pass
    assert not other.card(0).is_open and other.open_cards() == 0


def test_open_limit_below_one_is_refused(pki_dir, tmp_path):
    with pytest.raises(FleetError, match="open_limit"):
        Fleet(tmp_path, pki_dir, "seed", open_limit=0)
