"""`personality capture` in-process (euicc_tools.personalities.capture, .capture_toml): a
card made with a personality is read as an LPA reads it (SGP.22 2.2.1 ISD-R AID, 5.7.20
GetEID, 5.7.8 GetEUICCInfo1/2, 5.7.3 GetEuiccConfiguredAddresses, 5.7.16 GetRAT, 5.7.15
GetProfilesInfo), mapped field by field onto the personality schema, and a card made from
the written file answers every one of them byte for byte as the first did; what the schema
cannot say is a note, and what cannot be captured a one-line CaptureError."""

from __future__ import annotations

import tomllib

import pytest

from euicc.card import Card
from euicc.faults import Action, ActionKind, Match, Rule
from euicc.registry import Registry
from euicc.tlv import tlv
from euicc_applets.isd_r import ISD_R_AID
from euicc_applets.isd_r.presets import ICONS
from euicc_tools.emulator.card import open_card
from euicc_tools.emulator.cli import main
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import builtin_names, load_personality
from euicc_tools.personalities.capture import (
    ALL_TAGS,
    ES10_READS,
    VENDOR_ISD_R_AIDS,
    CaptureError,
    capture,
    differences,
    replay,
)
from euicc_tools.personalities.capture_toml import render, toml_string, write

ESTKME = VENDOR_ISD_R_AIDS["eSTK.me"]
RICH = f"""
[personality]
name = "rich"
[card]
isd_r_aid = "{ESTKME.hex().upper()}"
logical_channels = 4
quirks = ["standard_isd_r_also"]
[factory]
svn = "2.2.0"
default_dp_address = "smdp.example.com"
root_ds_address = "ds.example.com"
[factory.euicc_info2]
euicc_category = "mediumEuicc"
certification_data = {{ platform_label = "label", discovery_base_url = "https://d.example" }}
free_nvm = 1000
free_volatile = 77
installed_applications = 3
[[factory.rat]]
ppr = ["ppr1"]
operators = [{{ plmn = "00101", gid1 = "A1" }}, {{ plmn = "310410" }}]
consent_required = false
[[factory.profile]]
iccid = "8944000000000000017"
isdp_aid = "A0000005591010FFFFFFFF8900002000"
name = "Op \\"quoted\\" name"
spn = "SP \u00fc"
nickname = "nick\\tname"
ppr = ["ppr2"]
owner = {{ plmn = "00101", gid1 = "A1" }}
icon = "jpg"
notify = [{{ events = ["install", "delete"], address = "smdp.example.com" }},
          {{ events = ["enable"], address = "other.example" }}]
[[factory.profile]]
iccid = "89440000000000000025"
state = "enabled"
class = "test"
package = "builtin:test"
"""


@pytest.fixture
def card_of(tmp_path, pki_dir):
    """A card made with a personality (a built-in name or a file), its store closed after
    the test."""
    stores = []

    def make(personality: str, state: str = "state"):
        card, _, store = open_card(tmp_path / state, pki_dir, None,
                                   personality=load_personality(personality))
        stores.append(store)
        return card

    yield make
    for store in stores:
        store.close()


def captured(card):
    return capture(DirectLink(card), card.power_on())


def rich_file(tmp_path):
    path = tmp_path / "rich.toml"
    path.write_text(RICH, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", builtin_names())
def test_round_trip_of_each_builtin(card_of, tmp_path, name):
    first = captured(card_of(name))
    assert set(first.answers) == {"ATR", "SELECT ISD-R", *(read[0] for read in ES10_READS)}
    path = tmp_path / "out" / f"{name}-captured.toml"
    path.parent.mkdir()
    rendered, mismatches = write(first, path)
    assert mismatches == [] and rendered.notes == []
    assert load_personality(str(path)).warnings == ()
    again = captured(card_of(str(path), "again"))
    assert differences(first, again) == []
    assert again.answers == first.answers
    assert (again.isd_r_aid, again.answering_aids, again.logical_channels) == (
        first.isd_r_aid, first.answering_aids, first.logical_channels)


def test_mapping_of_every_field(card_of, tmp_path):
    first = captured(card_of(rich_file(tmp_path)))
    assert first.isd_r_aid == ESTKME and first.answering_aids == (ISD_R_AID, ESTKME)
    assert first.logical_channels == 4
    rendered = render(first, "rich-captured")
    assert rendered.notes == []
    data = tomllib.loads(rendered.text)
    assert data["personality"]["name"] == "rich-captured"
    card = data["card"]
    assert card["isd_r_aid"] == ESTKME.hex().upper()
    assert card["quirks"] == ["standard_isd_r_also"] and card["logical_channels"] == 4
    assert card["eid"] == first.eid and card["eum"] == first.eid[:8]
    assert bytes.fromhex(card["atr"]) == first.atr
    factory = data["factory"]
    assert (factory["svn"], factory["default_dp_address"], factory["root_ds_address"]) == (
        "2.2.0", "smdp.example.com", "ds.example.com")
    info2 = factory["euicc_info2"]
    assert info2["euicc_category"] == "mediumEuicc"
    assert info2["certification_data"] == {"platform_label": "label",
                                           "discovery_base_url": "https://d.example"}
    assert (info2["installed_applications"], info2["free_nvm"], info2["free_volatile"]) == (
        3, 1000, 77)
    assert "forbidden_ppr" not in info2
    (rule,) = factory["rat"]
    assert rule == {"ppr": ["ppr1"], "consent_required": False,
                    "operators": [{"plmn": "00101", "gid1": "A1"}, {"plmn": "310410"}]}
    one, two = factory["profile"]
    assert one == {
        "iccid": "8944000000000000017", "isdp_aid": "A0000005591010FFFFFFFF8900002000",
        "state": "disabled", "class": "operational", "name": 'Op "quoted" name',
        "spn": "SP \u00fc", "nickname": "nick\tname", "icon": "jpg",
        "icon_file": "rich-captured-8944000000000000017.jpg", "ppr": ["ppr2"],
        "owner": {"plmn": "00101", "gid1": "A1"},
        "notify": [{"events": ["install", "delete"], "address": "smdp.example.com"},
                   {"events": ["enable"], "address": "other.example"}],
        "package": "builtin:test"}
    assert rendered.files == {"rich-captured-8944000000000000017.jpg": ICONS["jpg"][1]}
    assert (two["state"], two["class"], two["package"]) == ("enabled", "test",
                                                            "builtin:test")
    assert two["isdp_aid"] == "A0000005591010FFFFFFFF8900001100"  # the ISD-R's second
    path = tmp_path / "rich-captured.toml"
    assert write(first, path)[1] == []  # and a card made from it answers the same
    assert differences(first, replay(path)) == []


def test_members_a_chip_leaves_out_without_a_tag_list_are_captured(card_of, tmp_path):
    """SGP.22 5.7.15: the C2T answers GetProfilesInfo without a tagList with the basic
    members only (Quirk profiles_info_basic_tags); asked with a tagList of every member it
    shows TS48V1-B-UNIQUE's notificationConfigurationInfo. The capture writes both: the
    quirk, and the notification addresses (without them the clone sends no notification
    on enable/disable, and pySim's test_list_and_rm_notif fails against it)."""
    first = captured(card_of("sysmoEUICC1-C2T"))
    assert first.answers[ALL_TAGS] != first.answers["ES10c.GetProfilesInfo"]
    path = tmp_path / "c2t.toml"
    rendered, mismatches = write(first, path)
    assert mismatches == [] and rendered.notes == []
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["card"]["quirks"] == ["profile_class_explicit", "profiles_info_basic_tags"]
    ts48 = next(p for p in written["factory"]["profile"] if p["iccid"] == "8949449999999990031")
    assert sorted((event, n["address"]) for n in ts48["notify"] for event in n["events"]) == [
        ("delete", "testsmdpplus1.example.com"), ("disable", "testsmdpplus1.example.com"),
        ("enable", "testsmdpplus1.example.com")]
    again = captured(card_of(str(path), "again"))
    assert again.answers == first.answers


def test_a_profiles_info_tag_list_not_answered_or_answered_otherwise_is_noted(card_of):
    first = captured(card_of("sysmoEUICC1-C2T"))
    asked = first.values.pop(ALL_TAGS)
    first.missing[ALL_TAGS] = "SW 6A80"
    rendered = render(first, "x")
    assert any("tagList not answered (SW 6A80)" in n for n in rendered.notes)
    assert "profiles_info_basic_tags" not in rendered.text
    first.values[ALL_TAGS] = asked
    unasked = [dict(info) for info in first.values["ES10c.GetProfilesInfo"][1]]
    unasked[0]["profileOwner"] = {"mccMnc": b"\x00\xf1\x10"}  # not a basic member
    first.values["ES10c.GetProfilesInfo"] = ("profileInfoListOk", unasked)
    rendered = render(first, "x")
    assert any("other members than its ProfileInfos with one" in n for n in rendered.notes)
    assert "profiles_info_basic_tags" not in rendered.text


def test_header_says_what_and_when(card_of, tmp_path):
    rendered = render(captured(card_of("sysmoEUICC1-C2T")), "c2t")
    header = rendered.text.split("\n[personality]")[0]
    assert "Captured by `euicc-emu personality capture`" in header and " UTC" in header
    assert "A0000005591010FFFFFFFF8900000100 (SGP.22)" in header
    assert "first 8 digits" in header and 'package = "builtin:test"' in header
    assert all(line.startswith("#") for line in header.splitlines() if line)


def test_what_the_schema_cannot_say_is_noted(card_of):
    first = captured(card_of("generic"))
    info2 = dict(first.values["ES10b.GetEUICCInfo2"])
    info2["extCardResource"] = bytes.fromhex("8103000100")  # a 3-byte count
    info2["uiccCapability"] = (b"\x40\x00", 16)  # usimSupport, trailing zero bits kept
    first.values["ES10b.GetEUICCInfo2"] = info2
    raw = first.answers["ES10b.GetEUICCInfo1"]  # BF20 <len> ...: one member more
    body = raw[3:] + tlv(0x8D, b"\x01")
    first.answers["ES10b.GetEUICCInfo1"] = raw[:2] + bytes([len(body)]) + body
    notes = render(first, "x").notes
    assert any("extCardResource 8103000100" in n for n in notes)
    assert any("uiccCapability: 16 bits coded" in n for n in notes)
    assert any("EUICCInfo1: member tag 8D" in n for n in notes)
    assert "#   - EUICCInfo1: member tag 8D" in render(first, "x").text


def test_a_missing_optional_function_is_noted_and_the_file_says_it_differs(card_of,
                                                                            tmp_path):
    card = card_of("generic")
    card.faults.add(Rule(Match(name="ES10b.GetRAT"), Action(ActionKind.STATUS, sw=0x6D00),
                         times=None))
    first = captured(card)
    assert "ES10b.GetRAT" not in first.answers and "6D00" in first.missing["ES10b.GetRAT"]
    rendered, mismatches = write(first, tmp_path / "norat.toml")
    assert mismatches == ["ES10b.GetRAT"]  # the emulator does answer it
    assert any("GetRAT not answered" in n for n in rendered.notes)
    assert "answers differently: ES10b.GetRAT" in (tmp_path / "norat.toml").read_text()


def test_required_function_failing_is_one_line(card_of):
    card = card_of("generic")
    card.faults.add(Rule(Match(name="ES10b.GetEUICCInfo2"),
                         Action(ActionKind.STATUS, sw=0x6A88), times=None))
    with pytest.raises(CaptureError, match=r"^ES10b.GetEUICCInfo2 failed \(SW 6A88\)") as e:
        captured(card)
    assert "\n" not in str(e.value)


def test_a_card_without_isd_r_is_not_an_euicc():
    card = Card(Registry())
    with pytest.raises(CaptureError, match="not an eUICC: no ISD-R answers SELECT"):
        capture(DirectLink(card), card.power_on())


def test_write_refuses_existing_files_unless_forced(card_of, tmp_path):
    first = captured(card_of("sysmoEUICC1-C2T"))
    path = tmp_path / "c2t.toml"
    (tmp_path / "c2t-89000123456789012341.png").write_bytes(b"mine")  # the icon's name
    with pytest.raises(FileExistsError, match="c2t-89000123456789012341.png exists"):
        write(first, path)
    assert not path.exists()  # nothing written
    write(first, path, force=True)
    assert (tmp_path / "c2t-89000123456789012341.png").read_bytes() == ICONS["png"][1]
    with pytest.raises(ValueError, match="ends in .toml"):
        write(first, tmp_path / "c2t.txt")


def test_cli_refuses_an_existing_file_before_reading_a_card(tmp_path, caplog):
    path = tmp_path / "there.toml"
    path.write_text("mine")
    assert main(["personality", "capture", "--reader", "0", str(path)]) == 1
    assert path.read_text() == "mine"
    assert "exists (--force to overwrite it)" in caplog.text


@pytest.mark.parametrize("text, escaped", [
    ('a"b\\c', '"a\\"b\\\\c"'), ("tab\there", '"tab\\u0009here"'), ("\x7f", '"\\u007F"'),
    ("\U0001F600 \u00fc", '"\U0001F600 \u00fc"'),
])
def test_toml_strings_read_back(text, escaped):
    assert toml_string(text) == escaped
    assert tomllib.loads(f"k = {escaped}")["k"] == text


def test_differences_name_the_aids_and_channels_too(card_of, tmp_path):
    first = captured(card_of("5ber"))
    other = captured(card_of(rich_file(tmp_path), "rich"))
    found = differences(first, other)
    assert {"ES10b.GetEUICCInfo2", "ISD-R AIDs", "logical channels"} <= set(found)
    assert "ES10c.GetEID" not in found  # one PKI, one EID
    assert differences(first, first) == []
