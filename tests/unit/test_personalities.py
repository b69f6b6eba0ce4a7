"""Card personalities (euicc_tools.personalities): the schema's errors point at the file and
line, the built-in ones load, and a card made with one answers the ATR (ISO/IEC 7816-3 8.2),
SELECT ISD-R (SGP.22 2.2.1) and GetEUICCInfo1/2, GetProfilesInfo (SGP.22 5.7.8, 5.7.15) as
the personality says; a state stays bound to the personality it was made with."""

from __future__ import annotations

import pytest

from euicc.coding import encode_iccid
from euicc.faults import ScenarioError
from euicc.ins import Ins
from euicc.sw import SW
from euicc.tlv import children
from euicc_applets.isd_r import ISD_R_AID
from euicc_tools.emulator.card import open_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import atr_protocols, builtin_names, load_personality

C2T_ATR = bytes.fromhex("3B9F96803F87828031E073FE211F574543753130136502")
C2T_EID = "89049044900000000000000000102355"  # pySim's config.yaml
SGP26_CI = bytes.fromhex("F54172BDF98A95D65CBEB88A38A1C11D800A85C3")


def write(tmp_path, text: str):
    path = tmp_path / "chip.toml"
    path.write_text(text)
    return str(path)


def test_builtins_load():
    assert {"generic", "sysmoEUICC1-C2T"} <= set(builtin_names())
    for name in builtin_names():
        assert load_personality(name).name == name
    assert load_personality("sysmoEUICC1-C2T").atr == C2T_ATR


@pytest.mark.parametrize("text, where", [
    ('[personality]\nname = "x"\n[card]\n\natr = 12\n', ":5: card: atr"),
    ('[personality]\nname = "x"\n[card]\ncolour = "red"\n', ":4: card: colour: unknown key"),
    ('[personality]\nname = "x"\n[factory]\n[[factory.profile]]\niccid = "8900"\n',
     ":5: factory.profile 1: iccid"),
    ('[personality]\nname = "x"\n[card]\nlogical_channels = 21\n', ":4: card: "
                                                                    "logical_channels"),
    ('[personality]\ndescription = "x"\n', "personality: name"),
])
def test_schema_errors_name_file_and_line(tmp_path, text, where):
    with pytest.raises(ScenarioError, match=where):
        load_personality(write(tmp_path, text))


def test_unknown_name_lists_the_builtins():
    with pytest.raises(ScenarioError, match="built in: .*generic"):
        load_personality("no-such-chip")


def test_atr_without_t0_for_lpac_warns(tmp_path):
    t1_only = "3B8081" + "01" + "00"  # TD1=81: T=1, TD2=01 T=1 (no T=0 offered)
    tmp_path.mkdir(exist_ok=True)
    path = write(tmp_path, f'[personality]\nname = "x"\n[card]\natr = "{t1_only}"\n'
                           'lpa = "lpac"\n')
    assert atr_protocols(bytes.fromhex(t1_only)) == {1}
    assert any("no T=0" in w for w in load_personality(path).warnings)
    assert atr_protocols(C2T_ATR) >= {0}
    assert load_personality("sysmoEUICC1-C2T").warnings == ()


def test_c2t_card_answers_as_the_personality_says(tmp_path, pki_dir):
    card, _, store = open_card(tmp_path / "state", pki_dir, None,
                               personality=load_personality("sysmoEUICC1-C2T"))
    try:
        assert card.power_on() == C2T_ATR
        client = Es10Client(DirectLink(card))
        client.open()
        info1 = client.call("GetEuiccInfo1Request", {}, "EUICCInfo1")
        assert info1 == {"svn": b"\x02\x03\x00", "euiccCiPKIdListForVerification": [SGP26_CI],
                         "euiccCiPKIdListForSigning": [SGP26_CI]}
        info2 = client.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
        raw = client.store_data(bytes.fromhex("BF2200"))
        # as pySim's suite reads the real chip: extCardResource, capabilities, ppr1 forbidden
        for part in ("840D810108820400045BF883022419", "8505067F36F3C0", "88020398",
                     "99020640", "86030F0100", "8303230623",
                     "0C0F" + b"SYSMOCOM-TEST-1".hex()):
            assert part.lower() in raw.hex(), part
        assert "euiccCategory" not in info2
        assert info2["euiccCiPKIdListForSigning"] == [SGP26_CI]
        assert info2["sasAcreditationNumber"] == "SYSMOCOM-TEST-1"
        kind, (first, second) = client.call("ProfileInfoListRequest", {},
                                            "ProfileInfoListResponse")
        assert first["iccid"] == bytes.fromhex("98001032547698103214")
        assert first["isdpAid"] == bytes.fromhex("A0000005591010FFFFFFFF8900001000")
        assert first["profileClass"] == 0  # test
        assert first["profileState"] == 1  # enabled
        assert first["profileNickname"] == "this-is-a-testprofile"
        assert first["serviceProviderName"] == "SP Name 1"
        # a small valid PNG: the chip's own icon is known only from pySim's test data
        assert first["iconType"] == 1 and first["icon"].startswith(b"\x89PNG\r\n\x1a\n")
        assert first["icon"][12:16] == b"IHDR"
        assert second["iccid"] == encode_iccid("8949449999999990031")
        assert second["isdpAid"] == bytes.fromhex("A0000005591010FFFFFFFF8900001200")
        assert (second["profileState"], second["profileClass"]) == (0, 2)  # disabled, oper.
        assert (second["profileName"], second["serviceProviderName"]) == (
            "TS48V1-B-UNIQUE", "OsmocomSPN")
        assert "notificationConfigurationInfo" not in second  # the chip's basic tag set
    finally:
        store.close()


def test_c2t_gets_its_eid_in_a_fresh_state_unless_told_another(tmp_path, pki_dir):
    c2t = load_personality("sysmoEUICC1-C2T")
    _, credentials, store = open_card(tmp_path / "a", pki_dir, None, personality=c2t)
    store.close()
    assert credentials.eid == C2T_EID  # a certificate issued under an EUM for 89049044
    assert credentials.identities[0].certificate_der
    other = "89049044000000000000000000000136"
    _, credentials, store = open_card(tmp_path / "b", pki_dir, other, personality=c2t)
    store.close()
    assert credentials.eid == other
    _, credentials, store = open_card(tmp_path / "b", pki_dir, None, personality=c2t)
    store.close()
    assert credentials.eid == other  # a restart keeps the state's EID


@pytest.mark.parametrize("card, message", [
    ('eid = "89049044900000000000000000102356"', "card: eid: '8904904490000000000000000"
                                                  "0102356': 32 digits with valid check"),
    ('eum = "89049032"\neid = "89049044900000000000000000102355"',
     "card: eid: 89049044900000000000000000102355 is outside the EUM range 89049032"),
    ('quirks = ["sparkles"]', "card: quirks: ['sparkles']: a list of standard_isd_r_also, "
                              "profiles_info_basic_tags, profile_class_explicit"),
])
def test_card_eid_and_quirk_errors(tmp_path, card, message):
    with pytest.raises(ScenarioError) as error:
        load_personality(write(tmp_path, f'[personality]\nname = "x"\n[card]\n{card}\n'))
    assert message in str(error.value), str(error.value)


# A profile whose metadata has every optional member GetProfilesInfo can return
FULL_PROFILE = """
[[factory.profile]]
iccid = "8944000000000000017"
state = "enabled"
ppr = ["ppr2"]
owner = { plmn = "00101" }
notify = { enable = "smdp.example.com" }
"""


def profile_info(tmp_path, pki_dir, quirks: str, request: str) -> tuple[list[int], bytes]:
    """(the tags of the one ProfileInfo, its raw E3) a card with ``quirks`` answers to the
    GetProfilesInfo ``request`` (hex) with."""
    tmp_path.mkdir(exist_ok=True)
    path = write(tmp_path, f'[personality]\nname = "x"\n[card]\nquirks = [{quirks}]\n'
                           f'{FULL_PROFILE}')
    card, _, store = open_card(tmp_path / "state", pki_dir, None,
                               personality=load_personality(path))
    try:
        card.power_on()
        client = Es10Client(DirectLink(card))
        client.open()
        raw = client.store_data(bytes.fromhex(request))
    finally:
        store.close()
    assert raw[:2] == b"\xbf\x2d"
    ((seq_tag, seq),) = children(raw)
    assert seq_tag == 0xA0  # profileInfoListOk
    ((info_tag, info),) = children(seq)
    assert info_tag == 0xE3
    return [t for t, _ in children(info)], info


ALL_MEMBERS = [0x5A, 0x4F, 0x9F70, 0x95, 0x91, 0x92, 0xB6, 0xB7, 0x99]


def test_generic_get_profiles_info_returns_every_member_it_holds(tmp_path, pki_dir):
    """SGP.22 5.7.15 without a tagList: the generic card returns all members it has, and
    leaves out profileClass operational, its DEFAULT (X.690 11.5)."""
    tags, _ = profile_info(tmp_path, pki_dir, "", "BF2D00")
    assert sorted(tags) == sorted(t for t in ALL_MEMBERS if t != 0x95)


def test_quirk_profiles_info_basic_tags(tmp_path, pki_dir):
    """Quirk profiles_info_basic_tags: no tagList gives only 5A 4F 9F70 90 91 92 93 94 95
    (SGP.22 5.7.15); a tagList is still honoured, notificationConfigurationInfo included."""
    tags, _ = profile_info(tmp_path, pki_dir, '"profiles_info_basic_tags"', "BF2D00")
    assert sorted(tags) == sorted([0x5A, 0x4F, 0x9F70, 0x91, 0x92])
    tags, _ = profile_info(tmp_path / "again", pki_dir, '"profiles_info_basic_tags"',
                           "BF2D035C01B6")
    assert tags == [0xB6]


def test_quirk_profile_class_explicit(tmp_path, pki_dir):
    """Quirk profile_class_explicit: profileClass operational(2) is sent as 95 01 02."""
    tags, info = profile_info(tmp_path, pki_dir, '"profile_class_explicit"', "BF2D00")
    assert 0x95 in tags and bytes.fromhex("950102") in info
    tags, info = profile_info(tmp_path / "both", pki_dir, '"profiles_info_basic_tags", '
                                                 '"profile_class_explicit"', "BF2D00")
    assert sorted(tags) == sorted([0x5A, 0x4F, 0x9F70, 0x91, 0x92, 0x95])


def test_other_isd_r_aid_answers_and_the_standard_one_does_not(tmp_path, pki_dir):
    other = "A0000005591010FFFFFFFF8900050500"
    tmp_path.mkdir(exist_ok=True)
    path = write(tmp_path, f'[personality]\nname = "x"\n[card]\nisd_r_aid = "{other}"\n')
    card, _, store = open_card(tmp_path / "state", pki_dir, None,
                               personality=load_personality(path))
    try:
        card.power_on()
        for aid, sw in ((bytes.fromhex(other), SW.OK), (ISD_R_AID, SW.FILE_NOT_FOUND)):
            response = card.transmit(bytes([0, Ins.SELECT, 4, 0, len(aid)]) + aid + b"\x00")
            assert int.from_bytes(response[-2:]) & (0xFF00 if sw == SW.OK else 0xFFFF) in (
                sw, SW.BYTES_REMAINING), response.hex()
    finally:
        store.close()


def test_state_is_bound_to_its_personality(tmp_path, pki_dir):
    state = tmp_path / "state"
    _, _, store = open_card(state, pki_dir, None,
                            personality=load_personality("sysmoEUICC1-C2T"))
    store.close()
    _, _, store = open_card(state, pki_dir, None,  # the same again: fine, nothing rewritten
                            personality=load_personality("sysmoEUICC1-C2T"))
    assert len(store.profiles()) == 2
    store.close()
    with pytest.raises(ScenarioError, match="made with personality sysmoEUICC1-C2T, not "
                                            "generic"):
        open_card(state, pki_dir, None)


def test_eid_outside_the_eum_range_is_refused(tmp_path, pki_dir):
    path = write(tmp_path, '[personality]\nname = "x"\n[card]\neum = "12345"\n')
    with pytest.raises(ScenarioError, match="outside its EUM range 12345"):
        open_card(tmp_path / "state", pki_dir, None, personality=load_personality(path))


@pytest.mark.parametrize("name", builtin_names())
def test_each_builtin_card_shows_its_atr_and_isd_r(tmp_path, pki_dir, name):
    personality = load_personality(name)
    card, _, store = open_card(tmp_path / "state", pki_dir, None, personality=personality)
    try:
        assert card.power_on() == personality.atr
        client = Es10Client(DirectLink(card))
        if personality.isd_r_aid == ISD_R_AID:
            client.open()  # SELECT ISD-R at the standard AID, as lpac does by default
            assert client.get_eid()
        else:
            aid = personality.isd_r_aid
            response = card.transmit(bytes([0, Ins.SELECT, 4, 0, len(aid)]) + aid + b"\x00")
            assert response[-2] in (0x90, 0x61), response.hex()
            response = card.transmit(bytes([0, Ins.SELECT, 4, 0, 16]) + ISD_R_AID + b"\x00")
            assert response[-2:] == SW.FILE_NOT_FOUND.to_bytes(2), response.hex()
    finally:
        store.close()


def test_quirk_standard_isd_r_also_answers_at_both_aids(tmp_path, pki_dir):
    other = "A06573746B6D65FFFF4953442D522030"
    tmp_path.mkdir(exist_ok=True)
    path = write(tmp_path, f'[personality]\nname = "x"\n[card]\nisd_r_aid = "{other}"\n'
                           'quirks = ["standard_isd_r_also"]\n')
    card, _, store = open_card(tmp_path / "state", pki_dir, None,
                               personality=load_personality(path))
    try:
        card.power_on()
        for aid in (bytes.fromhex(other), ISD_R_AID):
            response = card.transmit(bytes([0, Ins.SELECT, 4, 0, len(aid)]) + aid + b"\x00")
            assert response[-2] in (0x90, 0x61), response.hex()
        client = Es10Client(DirectLink(card))
        client.open()  # through the standard AID: the very ISD-R
        assert client.get_eid()
    finally:
        store.close()


@pytest.mark.parametrize("quirks, message", [
    ('["no_such"]', "a list of standard_isd_r_also"),
    ('["standard_isd_r_also"]', "needs a vendor isd_r_aid"),
])
def test_quirk_errors(tmp_path, quirks, message):
    tmp_path.mkdir(exist_ok=True)
    path = write(tmp_path, f'[personality]\nname = "x"\n[card]\nquirks = {quirks}\n')
    with pytest.raises(ScenarioError, match=f":4: card: quirks: .*{message}"):
        load_personality(path)


def test_cli_lists_and_shows(capsys):
    from euicc_tools.emulator.cli import main

    assert main(["personality", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in builtin_names())
    assert main(["personality", "show", "5ber"]) == 0
    assert "A0000005591010FFFFFFFF8900050500" in capsys.readouterr().out
    assert main(["personality", "show", "no-such-chip"]) == 1
