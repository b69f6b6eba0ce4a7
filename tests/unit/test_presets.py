"""Presets (issue 12.1): a scenario's [preset] written into a fresh card with the ISD-R's
own records, seen through ES10 as an LPA sees them (SGP.22 5.7.15 GetProfilesInfo, 5.7.9
ListNotification, 5.7.10 RetrieveNotificationsList, 5.7.8 EUICCInfo2 extCardResource,
5.7.3 configured addresses), and a full memory refusing a download (5.7.6, errorReason
installFailedDueToInsufficientMemoryForProfile(10))."""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, rsp
from euicc.coding import encode_iccid
from euicc.crypto.entropy import SystemEntropy
from euicc.faults import ScenarioError
from euicc.store import CardStore
from euicc.tlv import parse
from euicc_applets.isd_r.presets import apply_preset, parse_preset
from euicc_tools.lpa.download import download
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import USIM_AID, build_upp, ef_imsi
from tests.support.presets import preset_card, started

NICKNAME = "é" * 64  # 64 characters, 128 bytes of UTF-8
PRESET = {
    "default_dp_address": "smdp.preset.example", "root_ds_address": "ds.preset.example",
    "svn": "2.2.0",
    "profile": [
        {"iccid": "8944000000000000017", "state": "enabled", "class": "operational",
         "ppr": ["ppr1", "ppr2"], "icon": "png", "nickname": NICKNAME,
         "notify": {"disable": "smdp.preset.example"}},
        {"iccid": "8944000000000000025", "class": "test", "icon": "jpg"},
        {"iccid": "8944000000000000033", "class": "provisioning", "name": "Bootstrap",
         "notify": {"delete": "smdp.preset.example"}},
    ],
    "notification": [
        {"seq": 0, "event": "install", "address": "a.example", "iccid": "8944000000000000017"},
        {"seq": 0x80, "event": "enable", "address": "b.example",
         "iccid": "8944000000000000017"},
        {"seq": 0x81, "event": "disable", "address": "c.example"},
        {"seq": 300, "event": "delete", "address": "d.example", "iccid": "8944000000000000099"},
    ],
}


def test_profiles_and_notifications_as_an_lpa_sees_them(tmp_path, credentials):
    store, card, es10, _ = preset_card(tmp_path, credentials, PRESET)
    kind, profiles = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert kind == "profileInfoListOk" and len(profiles) == 3
    first, second, third = profiles
    assert first["profileState"] == 1 and first["profileNickname"] == NICKNAME
    assert first["profilePolicyRules"] == (b"\x60", 3)  # ppr1, ppr2 (SGP.22 2.9.1)
    assert first["iconType"] == 1 and first["icon"].startswith(b"\x89PNG")
    assert second["profileClass"] == 0 and second["iconType"] == 0
    assert second["icon"].startswith(b"\xff\xd8")
    assert third["profileClass"] == 1 and third["profileName"] == "Bootstrap"
    kind, listed = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    assert sorted(n["seqNumber"] for n in listed) == [0, 0x80, 0x81, 300]
    kind, pending = es10.call("RetrieveNotificationsListRequest", {},
                              "RetrieveNotificationsListResponse")
    kinds = sorted(p[0] for p in pending)
    assert kinds == ["otherSignedNotification"] * 3 + ["profileInstallationResult"]
    # PPR1: the enabled profile may not be disabled (SGP.22 2.9.1, disallowedByPolicy(3))
    assert es10.call("DisableProfileRequest", {"profileIdentifier": ("iccid", first["iccid"]),
                                               "refreshFlag": False},
                     "DisableProfileResponse") == {"disableResult": 3}
    # the next notification the card makes comes after the preset's highest seqNumber
    assert es10.call("DeleteProfileRequest", ("iccid", third["iccid"]),
                     "DeleteProfileResponse") == {"deleteResult": 0}
    kind, listed = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    assert max(n["seqNumber"] for n in listed) == 301
    addresses = es10.call("EuiccConfiguredAddressesRequest", {},
                          "EuiccConfiguredAddressesResponse")
    assert addresses == {"defaultDpAddress": "smdp.preset.example",
                         "rootDsAddress": "ds.preset.example"}
    info1 = decode_exact(rsp(), "EUICCInfo1", es10.store_data(bytes.fromhex("BF2000")))
    assert info1["svn"] == b"\x02\x02\x00"
    store.close()


def test_memory_full_shows_in_euicc_info2_and_refuses_a_download(tmp_path, credentials,
                                                                 pki_dir):
    store, card, es10, _ = preset_card(tmp_path, credentials, {"memory_full": True})
    info2 = decode_exact(rsp(), "EUICCInfo2", es10.store_data(bytes.fromhex("BF2200")))
    resources = dict(parse(info2["extCardResource"]))
    assert int.from_bytes(resources[0x82], "big") == 0  # free NVM (TS 102 226 8.2.1.7.2)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "P.der").write_bytes(build_upp("8944123400000000011", "001010000000011",
                                               k=bytes(16), opc=bytes(16), include=("mf",)))
    smdp = Smdp("smdp.full.example", pki_dir, profiles)
    result = download(es10, es9_direct(smdp), "smdp.full.example", "P")
    assert result.result["profileInstallationResultData"]["finalResult"] == (
        "errorResult", {"bppCommandId": 5, "errorReason": 10})
    assert store.profiles() == []
    store.close()


def test_a_preset_is_written_once_and_only_into_a_fresh_state(tmp_path, credentials):
    preset = parse_preset(PRESET)
    store = CardStore(tmp_path / "state")
    assert apply_preset(preset, store, credentials, SystemEntropy())
    assert not apply_preset(preset, store, credentials, SystemEntropy())  # a restart
    # a state a preset wrote before the configuration was kept in it gets it at the restart
    store.set_meta("preset_config", None)
    assert not apply_preset(preset, store, credentials, SystemEntropy())
    assert "smdp.preset.example" in store.get_meta("preset_config")
    other = parse_preset({"profile": [{"iccid": "8944000000000000041"}]})
    with pytest.raises(ScenarioError, match="needs a fresh state"):
        apply_preset(other, store, credentials, SystemEntropy())
    store.close()


@pytest.mark.parametrize("table, message", [
    ({"colour": 1}, "preset: colour: unknown key (allowed: memory_full"),
    ({"profile": [{"state": "enabled"}]}, "preset.profile 1: iccid: a preset profile needs"),
    ({"profile": [{"iccid": "12"}]}, "iccid: '12': 18 to 20 digits"),
    ({"profile": [{"iccid": "8944000000000000017", "class": "gold"}]},
     "class: 'gold' (allowed: test, provisioning, operational)"),
    ({"profile": [{"iccid": "8944000000000000017", "nickname": "x" * 65}]},
     "nickname: 'xxx"),
    ({"profile": [{"iccid": "8944000000000000017", "state": "enabled"},
                  {"iccid": "8944000000000000025", "state": "enabled"}]},
     "at most one profile is enabled"),
    ({"notification": [{"seq": -1, "event": "install", "address": "a"}]}, "seq: -1"),
    ({"notification": [{"seq": 1, "event": "wipe", "address": "a"}]},
     "event: 'wipe' (allowed: install, enable, disable, delete)"),
    ({"svn": "two"}, "svn: 'two': a version"),
])
def test_preset_errors_say_what_is_allowed(table, message):
    with pytest.raises(ScenarioError) as error:
        parse_preset(table)
    assert message in str(error.value)


# -- preset profiles with a package (TCA eUICC Profile Package 9, SGP.22 5.5.3) ---------------

PACKAGE_ICCID = "8944123400000000991"
PACKAGE_IMSI = "001010000000991"


def tx(card, hexstr: str) -> tuple[bytes, str]:
    response = card.transmit(bytes.fromhex(hexstr))
    data, sw = response[:-2], response[-2:].hex().upper()
    while sw.startswith("61"):
        more = card.transmit(bytes.fromhex("00C00000" + sw[2:]))
        data, sw = data + more[:-2], more[-2:].hex().upper()
    return data, sw


def write_package(folder, name="usim.der", iccid=PACKAGE_ICCID):
    folder.mkdir(exist_ok=True)
    package = build_upp(iccid, PACKAGE_IMSI, k=bytes(16), opc=bytes(16),
                        include=("mf", "usim"))
    (folder / name).write_bytes(package)
    return package


def read_imsi(card) -> tuple[bytes, str]:
    assert tx(card, "00A4040410" + USIM_AID.hex())[1] == "9000"
    assert tx(card, "00A4000C026F07")[1] == "9000"
    return tx(card, "00B0000009")


def test_a_preset_profile_with_a_package_has_its_files_once_enabled(tmp_path, credentials):
    package = write_package(tmp_path / "profiles")
    table = {"profile": [{"iccid": PACKAGE_ICCID, "package": "profiles/usim.der",
                          "nickname": "with files"}],
             "euicc_info2": {"free_nvm": 1000}}
    store, card, es10, preset = preset_card(tmp_path, credentials, table, base=tmp_path)
    kind, (profile,) = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert profile["profileState"] == 0 and profile["profileNickname"] == "with files"
    assert tx(card, "00A4040410" + USIM_AID.hex())[1] == "6A82"  # disabled: not visible
    assert es10.call("EnableProfileRequest", {"profileIdentifier": ("iccid", profile["iccid"]),
                                              "refreshFlag": False},
                     "EnableProfileResponse") == {"enableResult": 0}
    assert read_imsi(card) == (ef_imsi(PACKAGE_IMSI), "9000")
    # stored as a download stores it: elements without secrets, size counted as used NVM
    (record,) = store.profiles()
    assert record.size == len(package) and store.profile_elements(record.isdp_aid)
    info2 = es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
    assert int.from_bytes(dict(parse(info2["extCardResource"]))[0x82], "big") == 1000
    store.close()
    store = CardStore(tmp_path / "state")  # a restart: the enabled profile's files at once
    card, _ = started(store, credentials)
    assert read_imsi(card) == (ef_imsi(PACKAGE_IMSI), "9000")
    store.close()


def test_a_package_must_be_the_preset_profile_s(tmp_path):
    write_package(tmp_path, "other.der", iccid="8944123400000000009")
    (tmp_path / "junk.der").write_bytes(b"\x30\x05\x01")
    (tmp_path / "nested.der").write_bytes(bytes.fromhex("A1020500"))  # no ProfileHeader
    cases = [
        ("other.der", "package: '" + str(tmp_path / "other.der") + "': ProfileHeader ICCID "
         "8944123400000000009F is not 8944123400000000991F, the preset's iccid "
         f"{PACKAGE_ICCID} (SGP.22 5.5.3)"),
        ("missing.der", "cannot read it (No such file or directory)"),
        ("junk.der", "not a sequence of DER profile elements"),
        ("nested.der", "the Profile Package Interpreter refuses it"),
    ]
    for name, message in cases:
        with pytest.raises(ScenarioError) as error:
            parse_preset({"profile": [{"iccid": PACKAGE_ICCID, "package": name}]},
                         base=tmp_path)
        assert "preset.profile 1: package: " in str(error.value)
        assert message in str(error.value), str(error.value)


def test_a_changed_package_is_another_preset(tmp_path, credentials):
    write_package(tmp_path)
    table = {"profile": [{"iccid": PACKAGE_ICCID, "package": "usim.der"}]}
    store, *_ = preset_card(tmp_path, credentials, table, base=tmp_path)
    assert not apply_preset(parse_preset(table, base=tmp_path), store, credentials,
                            SystemEntropy())
    (tmp_path / "usim.der").write_bytes(build_upp(PACKAGE_ICCID, "001010000000992",
                                                  k=bytes(16), opc=bytes(16)))
    with pytest.raises(ScenarioError, match="needs a fresh state"):
        apply_preset(parse_preset(table, base=tmp_path), store, credentials, SystemEntropy())
    store.close()


def test_a_preset_profile_owner_is_its_profile_owner(tmp_path, credentials):
    table = {"profile": [{"iccid": PACKAGE_ICCID, "owner": {"plmn": "310410", "gid1": "A1"},
                          "ppr": ["ppr1"]}]}
    store, _, es10, _ = preset_card(tmp_path, credentials, table)
    kind, (profile,) = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert profile["profileOwner"] == {"mccMnc": bytes.fromhex("130014"), "gid1": b"\xa1"}
    assert profile["profilePolicyRules"] == (b"\x40", 2)
    store.close()
    with pytest.raises(ScenarioError, match=r"owner: plmn: '310EEE': MCC and MNC, 5 or 6 "
                                            r"digits$"):
        parse_preset({"profile": [{"iccid": PACKAGE_ICCID, "owner": {"plmn": "310EEE"}}]})


# -- ISD-P AIDs and icons of preset profiles (SGP.22 2.4a ISD-P, 5.5.3 StoreMetadata icon) ---

ISDP = "A0000005591010FFFFFFFF89000010"  # + nn 00 (the ISD-P AIDs the card allots)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_a_preset_profile_sits_in_its_isdp_aid_and_a_download_comes_after(tmp_path,
                                                                         credentials,
                                                                         pki_dir):
    table = {"profile": [{"iccid": "8944000000000000017"},
                         {"iccid": "8944000000000000025", "isdp_aid": ISDP[:-2] + "1200"},
                         {"iccid": "8944000000000000033"}]}
    store, card, es10, _ = preset_card(tmp_path, credentials, table)
    kind, profiles = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    # the ones without isdp_aid take the card's numbers in order, skipping the one named
    assert {p["iccid"].hex()[-4:]: p["isdpAid"].hex().upper()[-4:] for p in profiles} == {
        "10f7": "1000", "20f5": "1200", "30f3": "1100"}
    profiles_dir = tmp_path / "profiles"
    profiles_dir.mkdir()
    (profiles_dir / "P.der").write_bytes(build_upp("8944123400000000011", "001010000000011",
                                                   k=bytes(16), opc=bytes(16),
                                                   include=("mf",)))
    result = download(es10, es9_direct(Smdp("smdp.isdp.example", pki_dir, profiles_dir)),
                      "smdp.isdp.example", "P")
    assert result.result["profileInstallationResultData"]["finalResult"][0] == "successResult"
    # a download goes into the ISD-P after the highest preset one, not into a taken one
    assert store.profile_by_iccid(encode_iccid("8944123400000000011")).isdp_aid == (
        bytes.fromhex(ISDP[:-2] + "1300"))
    store.close()


@pytest.mark.parametrize("profiles, message", [
    ([{"isdp_aid": "A0000005591010FFFFFFFF8900000100"}],
     "isdp_aid: 'A0000005591010FFFFFFFF8900000100': A0000005591010FFFFFFFF890000nn00, nn "
     "from 10"),
    ([{"isdp_aid": ISDP[:-2] + "1201"}], "nn00, nn from 10"),
    ([{"isdp_aid": "A000000559"}], "16 to 16 bytes in hex"),
    ([{"isdp_aid": ISDP[:-2] + "1200"}, {"isdp_aid": ISDP[:-2] + "1200"}],
     "two profiles in one ISD-P (isdp_aid)"),
])
def test_isdp_aid_errors_say_what_is_allowed(profiles, message):
    table = {"profile": [dict(p, iccid=f"89440000000000000{n}{n}") for n, p in
                         enumerate(profiles, 1)]}
    with pytest.raises(ScenarioError) as error:
        parse_preset(table)
    assert message in str(error.value), str(error.value)


def test_an_icon_file_is_the_profile_s_icon_of_its_type(tmp_path, credentials):
    png = PNG_SIGNATURE + bytes(range(200))  # the card takes the bytes as they are
    jpg = b"\xff\xd8\xff\xe0" + bytes(100)
    (tmp_path / "a.png").write_bytes(png)
    (tmp_path / "b.jpeg").write_bytes(jpg)
    table = {"profile": [{"iccid": "8944000000000000017", "icon": "a.png"},
                         {"iccid": "8944000000000000025", "icon": "b.jpeg"}]}
    store, _, es10, _ = preset_card(tmp_path, credentials, table, base=tmp_path)
    kind, (first, second) = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert (first["iconType"], first["icon"]) == (1, png)  # png(1)
    assert (second["iconType"], second["icon"]) == (0, jpg)  # jpg(0)
    store.close()


@pytest.mark.parametrize("value, message", [
    ("big.png", "1025 bytes, an icon has at most 1024 (SGP.22 Icon)"),
    ("gif.png", "neither a PNG nor a JPEG file (SGP.22 IconType)"),
    ("none.png", "png, jpg or an image file: '{base}/none.png': cannot read it (No such "
                 "file or directory)"),
    (7, "icon: 7: text"),
])
def test_icon_file_errors_say_what_is_wrong(tmp_path, value, message):
    (tmp_path / "big.png").write_bytes(PNG_SIGNATURE + bytes(1017))  # 1025 bytes
    (tmp_path / "gif.png").write_bytes(b"GIF89a" + bytes(20))
    with pytest.raises(ScenarioError) as error:
        parse_preset({"profile": [{"iccid": PACKAGE_ICCID, "icon": value}]}, base=tmp_path)
    assert str(error.value).startswith("preset.profile 1: icon: ")
    assert message.format(base=tmp_path) in str(error.value), str(error.value)
