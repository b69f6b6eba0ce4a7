"""Presets of the eUICC's configuration (issue 12.1; applets/isd_r/preset_config.py): the
RAT as ES10b.GetRAT returns it (SGP.22 5.7.16, 2.9.2.1) and as a download meets it (PPRs the
RAT does not allow, or forbidden ones, end StoreMetadata with errorReason pprNotAllowed(15),
SGP.22 5.7.6), EUICCInfo1 / EUICCInfo2 as ES10b.GetEUICCInfo answers (SGP.22 4.3, 5.7.8),
the same after a restart without the scenario, and what a bad preset is told."""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, encode, rsp
from euicc.faults import ScenarioError
from euicc.faults.scenario import read_scenario
from euicc.store import CardStore
from euicc.tlv import parse
from euicc_applets.isd_r.config import OperatorId
from euicc_applets.isd_r.presets import ICONS, parse_preset
from euicc_applets.isd_r.rat import encode_plmn, operator_matches, plmn_text
from euicc_tools.lpa.download import download
from euicc_tools.smdp.profiles import store_metadata
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import ADDRESS
from tests.support.presets import preset_card, started

RAT = [
    {"ppr": ["ppr1"], "consent_required": False,
     "operators": [{"plmn": "00101", "gid1": "A1"}, {"plmn": "310EEE"}]},
    {"ppr": ["pprUpdateControl", "ppr2"], "operators": [{"plmn": "EEEEEE"}]},
]
PPR_NOT_ALLOWED = ("errorResult", {"bppCommandId": 2, "errorReason": 15})  # storeMetadata


def test_plmn_coding_and_matching():
    # 3GPP TS 24.008 10.5.1.3: MCC2|MCC1, MNC3|MCC3, MNC2|MNC1; 'F' for a two-digit MNC
    assert encode_plmn("00101") == bytes.fromhex("00F110")
    assert encode_plmn("310260") == bytes.fromhex("130062")
    assert plmn_text(bytes.fromhex("00F110")) == "00101"
    assert plmn_text(encode_plmn("310EEE")) == "310EEE"
    owner = {"mccMnc": encode_plmn("310410"), "gid1": b"\xa1"}
    assert operator_matches(OperatorId(encode_plmn("310EEE")), owner)
    assert not operator_matches(OperatorId(encode_plmn("311EEE")), owner)
    assert not operator_matches(OperatorId(encode_plmn("31041")), owner)  # 2-digit MNC
    assert operator_matches(OperatorId(encode_plmn("310410"), gid1=b"\xa1"), owner)
    assert not operator_matches(OperatorId(encode_plmn("310410"), gid2=b"\xb2"), owner)
    # a profile that names no owner: only the 'any operator' OperatorId covers it
    assert operator_matches(OperatorId(), None)
    assert not operator_matches(OperatorId(encode_plmn("310EEE")), None)


def test_rat_through_get_rat_and_after_a_restart(tmp_path, credentials):
    store, _, es10, _ = preset_card(tmp_path, credentials, {"rat": RAT})
    expected = [
        {"pprIds": (b"\x40", 2), "pprFlags": (b"", 0),
         "allowedOperators": [{"mccMnc": bytes.fromhex("00F110"), "gid1": b"\xa1"},
                              {"mccMnc": bytes.fromhex("13E0EE")}]},
        {"pprIds": (b"\xa0", 3), "pprFlags": (b"\x80", 1),
         "allowedOperators": [{"mccMnc": b"\xee\xee\xee"}]},
    ]
    assert es10.call("GetRatRequest", {}, "GetRatResponse") == {"rat": expected}
    store.close()
    store = CardStore(tmp_path / "state")  # euicc-emu run again, without --scenario
    _, es10 = started(store, credentials)
    assert es10.call("GetRatRequest", {}, "GetRatResponse") == {"rat": expected}
    store.close()


def _with_pprs(bits: tuple[bytes, int], owner: str | None, gid1: bytes | None = None):
    """A StoreMetadata builder for the test SM-DP+ that sets these PPRs and owner."""

    def build(profile, provider, address):
        value = decode_exact(rsp(), "StoreMetadataRequest",
                             store_metadata(profile, provider, address))
        value["profilePolicyRules"] = bits
        if owner is not None:
            value["profileOwner"] = {"mccMnc": encode_plmn(owner)}
            if gid1 is not None:
                value["profileOwner"]["gid1"] = gid1
        return encode(rsp(), "StoreMetadataRequest", value)

    return build


def _final_result(es10, smdp):
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY")
    return result.result["profileInstallationResultData"]["finalResult"]


def test_a_download_meets_the_preset_rat(tmp_path, credentials, smdp):
    store, _, es10, _ = preset_card(tmp_path, credentials, {"rat": RAT[:1]})
    ppr1, ppr2 = (b"\x40", 2), (b"\x20", 3)
    smdp.metadata_for = _with_pprs(ppr1, "00102", b"\xa1")  # another operator
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    smdp.metadata_for = _with_pprs(ppr1, "00101")  # the rule's operator needs its GID1
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    smdp.metadata_for = _with_pprs(ppr2, "00101", b"\xa1")  # no rule allows PPR2
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    smdp.metadata_for = _with_pprs(ppr1, None)  # no owner: only 'any operator' covers it
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    assert store.profiles() == []
    smdp.metadata_for = _with_pprs(ppr1, "00101", b"\xa1")
    assert _final_result(es10, smdp)[0] == "successResult"
    kind, (profile,) = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert profile["profilePolicyRules"] == ppr1
    store.close()


def test_an_empty_rat_and_forbidden_pprs_refuse_every_ppr(tmp_path, credentials, smdp):
    store, _, es10, _ = preset_card(tmp_path, credentials, {"rat": []})
    assert es10.call("GetRatRequest", {}, "GetRatResponse") == {"rat": []}
    smdp.metadata_for = _with_pprs((b"\x20", 3), "00101")
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    store.close()
    # the factory RAT allows PPR1 and PPR2 to any operator; forbiddenProfilePolicyRules wins
    store, _, es10, _ = preset_card(tmp_path / "2", credentials,
                                    {"euicc_info2": {"forbidden_ppr": ["ppr2"]}})
    assert _final_result(es10, smdp) == PPR_NOT_ALLOWED
    smdp.metadata_for = _with_pprs((b"\x40", 2), "00101")
    assert _final_result(es10, smdp)[0] == "successResult"
    store.close()


INFO2 = {
    "profile_version": "3.1.0", "firmware": "9.8.7", "ts102241_version": "9.2.0",
    "globalplatform_version": "2.3.1", "pp_version": "0.0.1",
    "uicc_capability": ["usimSupport", "profile-b-p256", "iotminimal"],
    "rsp_capability": ["crlSupport"],
    "ci_pkids_for_verification": ["F54172BDF98A95D65CBEB88A38A1C11D800A85C3", "01"],
    "ci_pkids_for_signing": [],
    "euicc_category": "mediumEuicc", "forbidden_ppr": ["ppr1"],
    "sas_accreditation_number": "S" * 64,
    "certification_data": {"platform_label": "Plat 1", "discovery_base_url": "https://d.ex"},
    "free_nvm": 5000, "free_volatile": 4096, "installed_applications": 7,
}


def test_euicc_info_through_es10_and_after_a_restart(tmp_path, credentials):
    store, _, es10, _ = preset_card(tmp_path, credentials,
                                    {"svn": "2.1.0", "euicc_info2": INFO2})

    def answers(es10):
        return (es10.call("GetEuiccInfo1Request", {}, "EUICCInfo1"),
                es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2"))

    info1, info2 = answers(es10)
    pkids = [bytes.fromhex(INFO2["ci_pkids_for_verification"][0]), b"\x01"]
    assert info1 == {"svn": b"\x02\x01\x00", "euiccCiPKIdListForVerification": pkids,
                     "euiccCiPKIdListForSigning": []}
    assert info2["svn"] == b"\x02\x01\x00" and info2["profileVersion"] == b"\x03\x01\x00"
    assert info2["euiccFirmwareVer"] == b"\x09\x08\x07"
    assert info2["ts102241Version"] == b"\x09\x02\x00"
    assert info2["globalplatformVersion"] == b"\x02\x03\x01"
    assert info2["ppVersion"] == b"\x00\x00\x01"
    assert info2["uiccCapability"] == (bytes.fromhex("40000081"), 32)  # bits 1, 24, 31
    assert info2["rspCapability"] == (b"\x40", 2)
    assert info2["euiccCiPKIdListForVerification"] == pkids
    assert info2["euiccCiPKIdListForSigning"] == []
    assert info2["euiccCategory"] == 2
    assert info2["forbiddenProfilePolicyRules"] == (b"\x40", 2)
    assert info2["sasAcreditationNumber"] == "S" * 64
    assert info2["certificationDataObject"] == {"platformLabel": "Plat 1",
                                                "discoveryBaseURL": "https://d.ex"}
    resources = dict(parse(info2["extCardResource"]))  # ETSI TS 102 226 8.2.1.7.2
    assert resources == {0x81: b"\x07", 0x82: (5000).to_bytes(4, "big"),
                         0x83: (4096).to_bytes(2, "big")}
    store.close()
    store = CardStore(tmp_path / "state")
    _, es10 = started(store, credentials)
    assert answers(es10) == (info1, info2)
    store.close()


def test_the_factory_euicc_info2_has_no_optional_members_it_does_not_declare(es10):
    info2 = es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
    assert not {"ts102241Version", "euiccCategory", "forbiddenProfilePolicyRules",
                "certificationDataObject"} & info2.keys()


@pytest.mark.parametrize("table, message", [
    ({"rat": {"ppr": ["ppr1"]}}, "preset: rat: [[preset.rat]] tables, or rat = []"),
    ({"rat": [{"ppr": ["ppr3"], "operators": []}]},
     "preset.rat 1: ppr: 'ppr3' (allowed: pprUpdateControl, ppr1, ppr2)"),
    ({"rat": [{"ppr": ["ppr1"]}]}, "preset.rat 1: operators: a rule needs"),
    ({"rat": [{"ppr": ["ppr1"], "operators": [{"plmn": "0010"}]}]},
     "preset.rat 1: operators 1: plmn: '0010': MCC and MNC, 5 or 6 digits, 'E' for any"),
    ({"rat": [{"ppr": ["ppr1"], "operators": [{"plmn": "00101", "gid1": "A"}]}]},
     "operators 1: gid1: 'A': 1 to 255 bytes in hex"),
    ({"rat": [{"ppr": [], "operators": [], "consent": True}]},
     "preset.rat 1: consent: unknown key (allowed: ppr, operators, consent_required)"),
    ({"rat": [{"ppr": [], "operators": [], "consent_required": "yes"}]},
     "consent_required: 'yes': true or false"),
    ({"euicc_info2": {"uicc_capability": ["usim"]}},
     "preset.euicc_info2: uicc_capability: 'usim' (allowed: contactlessSupport, usimSupport"),
    ({"euicc_info2": {"rsp_capability": "crlSupport"}},
     "rsp_capability: 'crlSupport': a list of RspCapability bits (additionalProfile"),
    ({"euicc_info2": {"firmware": "1.2"}}, "preset.euicc_info2: firmware: '1.2': a version"),
    ({"euicc_info2": {"pp_version": "1.2.300"}}, "pp_version: '1.2.300': a version"),
    ({"euicc_info2": {"euicc_category": "big"}},
     "euicc_category: 'big' (allowed: other, basicEuicc, mediumEuicc, contactlessEuicc)"),
    ({"euicc_info2": {"ci_pkids_for_signing": ["XY"]}},
     "ci_pkids_for_signing: 'XY': 1 to 32 bytes in hex"),
    ({"euicc_info2": {"sas_accreditation_number": "S" * 65}}, "of at most 64 characters"),
    ({"euicc_info2": {"certification_data": {"platform_label": "x"}}},
     "certification_data: discovery_base_url: None: text"),
    ({"euicc_info2": {"svn": "2.2.0"}}, "preset.euicc_info2: svn: set at the top of [preset]"),
    ({"euicc_info2": {"colour": 1}}, "preset.euicc_info2: colour: unknown key (allowed: "
                                     "profile_version, firmware"),
    ({"memory_full": True, "euicc_info2": {"free_nvm": 10}},
     "free_nvm: memory_full already says 0 bytes are free"),
    ({"euicc_info2": {"free_volatile": 70000}}, "free_volatile: 70000: a number, 0 .. 65535"),
    ({"euicc_info2": {"installed_applications": -1}}, "installed_applications: -1"),
    ({"memory_full": "yes"}, "preset: memory_full: 'yes': true or false"),
    ({"root_ds_address": 5}, "preset: root_ds_address: 5: text"),
])
def test_config_errors_say_what_is_allowed(table, message):
    with pytest.raises(ScenarioError) as error:
        parse_preset(table)
    assert message in str(error.value)


SCENARIO = '''\
[preset]
svn = "2.2.0"

[[preset.profile]]
iccid = "8944000000000000017"
class = "test"

[[preset.profile]]
iccid = "8944000000000000025"
class = "gold"

[[preset.rat]]
ppr = ["ppr1"]
operators = [{ plmn = "00101" }]

[[preset.rat]]
ppr = ["ppr2"]
operators = [{ plmn = "00101" }, { plmn = "x" }]

[preset.euicc_info2]
firmware = "1.0.0"
uicc_capability = ["usimSupport", "wifi"]
'''


@pytest.mark.parametrize("fix, line, message", [
    ({}, 10, "preset.profile 2: class: 'gold'"),
    ({'class = "gold"': 'class = "test"'}, 18,
     "preset.rat 2: operators 2: plmn: 'x': MCC and MNC"),
    ({'class = "gold"': 'class = "test"', '"x"': '"00102"'}, 22,
     "preset.euicc_info2: uicc_capability: 'wifi' (allowed: contactlessSupport"),
])
def test_a_preset_error_names_the_line_of_its_table(tmp_path, fix, line, message):
    text = SCENARIO
    for old, new in fix.items():
        text = text.replace(old, new)
    path = tmp_path / "case.toml"
    path.write_text(text)
    scenario = read_scenario(path, ("preset",))
    with pytest.raises(ScenarioError) as error:
        try:
            parse_preset(scenario.sections["preset"], base=tmp_path)
        except ScenarioError as exc:
            raise scenario.error(exc, "preset") from None
    assert str(error.value).startswith(f"{path}:{line}: {message}")


def test_the_schema_docstrings_are_valid_presets(tmp_path):
    """The examples in presets.py and preset_config.py are what the reader takes."""
    import tomllib

    from euicc_applets.isd_r import preset_config, presets

    config = preset_config.__doc__.split("::")[1].split("\nEffects.")[0]
    config = "\n".join(line for line in config.splitlines()  # rat = [] is the alternative
                       if not line.strip().startswith("rat = []"))
    assert parse_preset(tomllib.loads(config)["preset"]).config_changes()["rat"]
    profiles = presets.__doc__.split("::")[1].split("\nA preset profile without")[0]
    table = tomllib.loads(profiles)["preset"]
    package = tmp_path / "profiles" / "operator.der"
    package.parent.mkdir()
    package.write_bytes(build_upp(table["profile"][0]["iccid"], "001010000000017",
                                  k=bytes(16), opc=bytes(16), include=("mf",)))
    (tmp_path / "icon.png").write_bytes(ICONS["png"][1])
    (profile,) = parse_preset(table, base=tmp_path).profiles
    assert profile.package == package.read_bytes() and profile.owner is not None
    assert profile.icon_data == ICONS["png"][1] and profile.isdp_aid is not None
