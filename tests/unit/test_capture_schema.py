"""The schema keys a captured chip needs (issue 13.4): ``[card] eid`` (SGP.29 EID: 32
digits, MOD 97-10 check digits, inside ``eum``), and a factory profile's ``isdp_aid``
(SGP.22 OctetTo16), ``icon_file`` (ProfileInfo icon SIZE(0..1024)) and the list form of
``notify`` (notificationConfigurationInfo, SGP.22 2.4a NotificationEvent): each wrong value
named with the file and line of its key, each right one answered by the card."""

from __future__ import annotations

import pytest

from euicc.coding import bcd_text
from euicc.faults import ScenarioError
from euicc.pki import eid_with_check_digits
from euicc_applets.isd_r.presets import ICONS
from euicc_tools.emulator.card import open_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality

EID = eid_with_check_digits("890490321234512345123456789012")
HEAD = '[personality]\nname = "x"\n'
PROFILE = '[factory]\n[[factory.profile]]\niccid = "8944000000000000017"\n'


def write(tmp_path, text: str) -> str:
    path = tmp_path / "chip.toml"
    path.write_text(HEAD + text)
    return str(path)


@pytest.mark.parametrize("text, where", [
    ('[card]\neid = "89049032"\n', ":4: card: eid: '89049032': 32 digits with valid check"),
    (f'[card]\neid = "{EID[:-1]}0"\n', ":4: card: eid: .* valid check digits \\(SGP.29\\)"),
    (f'[card]\neum = "89044"\neid = "{EID}"\n', ":5: card: eid: .* outside the EUM range"),
    (PROFILE + 'isdp_aid = "A000"\n', ":6: factory.profile 1: isdp_aid: 'A000': 5 to 16"),
    (PROFILE + 'isdp_aid = "A0000005591010FFFFFFFF8900000100"\n',
     ":6: factory.profile 1: isdp_aid: A0000005591010FFFFFFFF8900000100 is the ISD-R's AID"),
    (PROFILE + 'isdp_aid = "a0000005591010ffffffff8900000200"\n',
     ":6: factory.profile 1: isdp_aid: .*0200 is the ECASD's AID, not an ISD-P's"),
    (PROFILE + 'icon_file = "i.png"\n', ":6: factory.profile 1: icon_file: needs icon ="),
    (PROFILE + 'icon = "png"\nicon_file = "none.png"\n',
     ":7: factory.profile 1: icon_file: .*none.png.*cannot read it"),
    (PROFILE + 'notify = "x"\n', ":6: factory.profile 1: notify: a table of event"),
    (PROFILE + 'notify = [{ events = [], address = "a" }]\n',
     ":6: factory.profile 1: notify 1: events: \\[\\]: a list of install"),
    (PROFILE + 'notify = [{ events = ["boot"], address = "a" }]\n',
     ":6: factory.profile 1: notify 1: events: 'boot'"),
    (PROFILE + 'notify = [{ events = ["install", "install"], address = "a" }]\n',
     ":6: factory.profile 1: notify 1: events: .* named twice"),
    (PROFILE + 'notify = [{ events = ["install"] }]\n',
     ":4: factory.profile 1: notify 1: address: an entry needs"),  # absent: the table's line
    (PROFILE + 'notify = [{ events = ["install"], address = "a", port = 1 }]\n',
     ":6: factory.profile 1: notify 1: port: unknown key"),
    (PROFILE + 'isdp_aid = "A0000005591010FFFFFFFF8900001100"\n'
               '[[factory.profile]]\niccid = "8944000000000000025"\n',
     "factory.profile: two profiles with one ISD-P AID"),
])
def test_wrong_values_name_file_and_line(tmp_path, text, where):
    with pytest.raises(ScenarioError, match=where):
        load_personality(write(tmp_path, text))


def test_icon_file_over_the_limit(tmp_path):
    (tmp_path / "big.png").write_bytes(bytes(1025))
    with pytest.raises(ScenarioError, match="big.png' has 1025 bytes; an icon has at most "
                                            "1024"):
        load_personality(write(tmp_path, PROFILE + 'icon = "png"\nicon_file = "big.png"\n'))


def test_the_card_answers_what_the_keys_say(tmp_path, pki_dir):
    icon = ICONS["png"][1] + b"\x00"  # any bytes: the card keeps them as given
    (tmp_path / "icon.png").write_bytes(icon)
    path = write(tmp_path, f'[card]\neid = "{EID}"\n' + PROFILE + (
        'isdp_aid = "A0000005591010FFFFFFFF8900004200"\nicon = "png"\nicon_file = "icon.png"\n'
        'notify = [{ events = ["install", "delete"], address = "dp.example" }, '
        '{ events = ["enable"], address = "other.example" }]\npackage = "builtin:test"\n'
        '[[factory.profile]]\niccid = "8944000000000000025"\npackage = "builtin:test"\n'))
    card, credentials, store = open_card(tmp_path / "state", pki_dir, None,
                                         personality=load_personality(path))
    try:
        assert credentials.eid == EID  # a new state takes the personality's EID
        card.power_on()
        with Es10Client(DirectLink(card)) as es10:
            _, (first, second) = es10.call("ProfileInfoListRequest", {},
                                           "ProfileInfoListResponse")
        assert first["isdpAid"] == bytes.fromhex("A0000005591010FFFFFFFF8900004200")
        assert second["isdpAid"] == bytes.fromhex("A0000005591010FFFFFFFF8900001100")
        assert (first["iconType"], first["icon"]) == (1, icon)
        assert first["notificationConfigurationInfo"] == [
            {"profileManagementOperation": (b"\x90", 4), "notificationAddress": "dp.example"},
            {"profileManagementOperation": (b"\x40", 2),
             "notificationAddress": "other.example"}]
        # each builtin:test profile has its own ICCID's package (both were accepted)
        assert {bcd_text(p.iccid) for p in store.profiles()} == {
            "8944000000000000017", "8944000000000000025"}
        assert all(p.size > 0 for p in store.profiles())
    finally:
        store.close()


def test_explicit_eid_wins_over_the_personalitys(tmp_path, pki_dir):
    other = eid_with_check_digits("890490321234512345123456789099")
    path = write(tmp_path, f'[card]\neid = "{EID}"\n')
    _, credentials, store = open_card(tmp_path / "state", pki_dir, other,
                                      personality=load_personality(path))
    store.close()
    assert credentials.eid == other
