"""A personality's ``[ecasd]`` (euicc_tools.personalities.ecasd; SGP.22 2.2.2, GlobalPlatform
Amendment E): the CIs the ECASD holds are the ones the card verifies with (a CERT.DPauth of
another CI gets AuthenticateServer ciPKUnknown, SGP.22 5.7.13), signs with (GET DATA '7F21',
the download's eUICC certificate) and lists in EUICCInfo1/2 (4.3); a declaration that lists
others, a CI the PKI lacks and malformed lists are refused with the file and line."""

from __future__ import annotations

import base64

import pytest

from euicc.asn1 import encode, rsp
from euicc.faults import ScenarioError
from euicc.pki import load_card_credentials
from euicc.tlv import parse
from euicc_tools.emulator.card import open_card
from euicc_tools.lpa.download import DownloadError, download
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS

CI_PK_UNKNOWN = 7  # AuthenticateErrorCode ciPKUnknown (SGP.22 5.7.13)


@pytest.fixture(scope="module")
def pkids(pki_dir) -> dict[str, str]:
    """The PKI's CI key ids by curve ('nist', 'brp')."""
    cis = load_card_credentials(pki_dir).trusted_cis
    return {ci.curve: ci.pkid.hex().upper() for ci in cis}


def chip(tmp_path, ecasd: str, extra: str = "") -> str:
    path = tmp_path / "chip.toml"
    path.write_text(f'[personality]\nname = "chip"\n\n[ecasd]\n{ecasd}\n{extra}')
    return str(path)


@pytest.fixture
def card_of(tmp_path, pki_dir):
    stores = []

    def make(path: str | None, state: str = "state"):
        personality = load_personality(path or "generic")
        card, credentials, store = open_card(tmp_path / state, pki_dir, None,
                                             personality=personality)
        stores.append(store)
        card.power_on()
        return card, credentials

    yield make
    for store in stores:
        store.close()


def test_the_card_holds_and_lists_only_the_ecasd_cis(tmp_path, card_of, pkids):
    card, credentials = card_of(chip(tmp_path, f'ci_pkids_for_verification = ["{pkids["brp"]}"]'))
    assert [ci.curve for ci in credentials.trusted_cis] == ["brp"]
    assert [i.curve for i in credentials.identities] == ["brp"]
    client = Es10Client(DirectLink(card))
    client.open()
    info1 = client.call("GetEuiccInfo1Request", {}, "EUICCInfo1")
    brp = bytes.fromhex(pkids["brp"])
    assert info1["euiccCiPKIdListForVerification"] == [brp]
    assert info1["euiccCiPKIdListForSigning"] == [brp]
    info2 = client.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
    assert info2["euiccCiPKIdListForSigning"] == [brp]
    client.close()
    # the ECASD's GET DATA '7F21' is the certificate under that CI
    card.transmit(bytes.fromhex("00A4040010A0000005591010FFFFFFFF8900000200"))
    answer = card.transmit(bytes.fromhex("80CA7F2100"))
    data = bytearray(answer[:-2])
    while answer[-2] == 0x61:
        answer = card.transmit(bytes([0x80, 0xC0, 0, 0, answer[-1]]))
        data += answer[:-2]
    ((tag, cert),) = parse(bytes(data))
    assert tag == 0x7F21 and cert == credentials.identities[0].certificate_der


def test_the_generic_card_holds_every_ci_of_its_pki(card_of, pkids):
    _, credentials = card_of(None)
    assert sorted(ci.curve for ci in credentials.trusted_cis) == ["brp", "nist"]


def other_ci(es9, pkid: bytes):
    """An SM-DP+ told that the card has only CI ``pkid`` (as one that ignores the
    EUICCInfo1 it was sent would act): it authenticates with that CI's CERT.DPauth."""
    def call(name: str, body: dict):
        if name == "initiateAuthentication":
            claimed = encode(rsp(), "EUICCInfo1", {
                "svn": b"\x02\x02\x00", "euiccCiPKIdListForVerification": [pkid],
                "euiccCiPKIdListForSigning": [pkid]})
            body = {**body, "euiccInfo1": base64.b64encode(claimed).decode()}
        return es9(name, body)
    return call


def test_a_ci_outside_the_ecasd_is_ci_pk_unknown(tmp_path, card_of, pkids, smdp):
    nist, brp = bytes.fromhex(pkids["nist"]), bytes.fromhex(pkids["brp"])
    card, _ = card_of(chip(tmp_path, f'ci_pkids_for_verification = ["{pkids["nist"]}"]'))
    with Es10Client(DirectLink(card)) as es10, pytest.raises(DownloadError) as refused:
        download(es10, other_ci(es9_direct(smdp), brp), ADDRESS, "TINY")
    assert refused.value.code == CI_PK_UNKNOWN
    # the card that holds both CIs takes the same CERT.DPauth
    generic, _ = card_of(None, "generic")
    with Es10Client(DirectLink(generic)) as es10:
        result = download(es10, other_ci(es9_direct(smdp), brp), ADDRESS, "TINY")
    assert result.ok
    # and the ECASD's own CI works as usual
    with Es10Client(DirectLink(card)) as es10:
        assert download(es10, es9_direct(smdp), ADDRESS, "TINY").ok
    assert nist != brp


def test_signing_list_of_its_own(tmp_path, card_of, pkids):
    both = f'"{pkids["nist"]}", "{pkids["brp"]}"'
    _, credentials = card_of(chip(tmp_path, f"ci_pkids_for_verification = [{both}]\n"
                                            f'ci_pkids_for_signing = ["{pkids["brp"]}"]'))
    assert [ci.curve for ci in credentials.trusted_cis] == ["nist", "brp"]
    assert [i.curve for i in credentials.identities] == ["brp"]


def test_a_ci_the_pki_lacks_is_refused_at_start(tmp_path, card_of, pkids):
    path = chip(tmp_path, 'ci_pkids_for_verification = ["00112233"]')
    with pytest.raises(ScenarioError, match="its ECASD holds a CI key 00112233, which the "
                                            "card's PKI does not have \\(it has "):
        card_of(path)


def test_a_consistent_declaration_is_taken(tmp_path, pkids):
    text = (f'ci_pkids_for_verification = ["{pkids["nist"]}"]\n\n[factory.euicc_info2]\n'
            f'ci_pkids_for_verification = ["{pkids["nist"]}"]\n')
    assert load_personality(chip(tmp_path, text)).ecasd.signing == (
        bytes.fromhex(pkids["nist"]),)


@pytest.mark.parametrize("ecasd, extra, says", [
    ('ci_pkids_for_verification = ["AA"]', '[factory.euicc_info2]\n'
     'ci_pkids_for_verification = ["BB"]\n',
     ":8: factory.euicc_info2: ci_pkids_for_verification: \\['BB'\\] is not what the ECASD "
     "holds"),
    ('ci_pkids_for_verification = ["AA"]', '[factory.euicc_info2]\n'
     'ci_pkids_for_signing = ["AA", "BB"]\n',
     ":8: factory.euicc_info2: ci_pkids_for_signing: "),
    ("ci_pkids_for_verification = []", "", ":5: ecasd: ci_pkids_for_verification: \\[\\]: a "
                                           "list of one or more"),
    ('ci_pkids_for_verification = ["AA", "aa"]', "", ":5: ecasd: "
                                                     "ci_pkids_for_verification: .* twice"),
    ('ci_pkids_for_verification = ["XY"]', "", ":5: ecasd: ci_pkids_for_verification: 'XY'"),
    ('ci_pkids_for_signing = ["AA"]', "", ":4: ecasd: ci_pkids_for_verification: the CIs"),
    ('certificates = ["AA"]', "", ":5: ecasd: certificates: unknown key"),
])
def test_errors_name_file_and_line(tmp_path, ecasd, extra, says):
    with pytest.raises(ScenarioError, match=f"chip.toml{says}"):
        load_personality(chip(tmp_path, ecasd, "\n" + extra if extra else ""))
