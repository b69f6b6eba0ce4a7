"""Every EUICCInfo2 member of the project's SGP.22 module (SGP.22 4.3, ES10b.GetEUICCInfo
5.7.8) can be set from a personality's ``[factory.euicc_info2]`` (``svn`` from
``[factory]``), and every OPTIONAL one left out: ts102241Version, euiccCategory,
forbiddenProfilePolicyRules and certificationDataObject are absent unless given,
globalplatformVersion is present unless ``leave_out`` names it. The audit fails when the
module gains a member this table does not cover."""

from __future__ import annotations

import pytest

from euicc.asn1 import rsp_types
from euicc.faults import ScenarioError
from euicc.tlv import parse
from euicc_tools.emulator.card import open_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality

PKID = "0102030405060708090A0B0C0D0E0F1011121314"
# member: (the key that sets it, its TOML value, the decoded member)
SET = {
    "profileVersion": ("profile_version", '"3.1.0"', b"\x03\x01\x00"),
    "svn": (None, None, b"\x02\x01\x00"),  # [factory] svn = "2.1.0"
    "euiccFirmwareVer": ("firmware", '"9.8.7"', b"\x09\x08\x07"),
    "extCardResource": ("free_nvm", "5000", None),  # with the two below, checked apart
    "uiccCapability": ("uicc_capability", '["usimSupport", "csimSupport"]',
                       (b"\x50", 4)),  # bits 1 and 3
    "ts102241Version": ("ts102241_version", '"15.1.0"', b"\x0f\x01\x00"),
    "globalplatformVersion": ("globalplatform_version", '"2.3.1"', b"\x02\x03\x01"),
    "rspCapability": ("rsp_capability", '["testProfileSupport"]', (b"\x10", 4)),
    "euiccCiPKIdListForVerification": ("ci_pkids_for_verification", f'["{PKID}"]',
                                       [bytes.fromhex(PKID)]),
    "euiccCiPKIdListForSigning": ("ci_pkids_for_signing", "[]", []),
    "euiccCategory": ("euicc_category", '"contactlessEuicc"', 3),
    "forbiddenProfilePolicyRules": ("forbidden_ppr", '["ppr2"]', (b"\x20", 3)),
    "ppVersion": ("pp_version", '"0.0.1"', b"\x00\x00\x01"),
    "sasAcreditationNumber": ("sas_accreditation_number", '"SAS-1"', "SAS-1"),
    "certificationDataObject": (
        "certification_data",
        '{ platform_label = "P", discovery_base_url = "https://d.example" }',
        {"platformLabel": "P", "discoveryBaseURL": "https://d.example"}),
}
EXTRA = 'free_volatile = 77\ninstalled_applications = 3\n'
OPTIONAL = [m["name"] for m in rsp_types()["EUICCInfo2"]["members"] if m.get("optional")]
TAGS = {m["name"]: m["tag"]["number"] for m in rsp_types()["EUICCInfo2"]["members"]
        if m.get("tag")}


def test_the_table_covers_every_member_of_the_module():
    assert [m["name"] for m in rsp_types()["EUICCInfo2"]["members"]] == list(SET)
    assert OPTIONAL == ["ts102241Version", "globalplatformVersion", "euiccCategory",
                        "forbiddenProfilePolicyRules", "certificationDataObject"]


@pytest.fixture
def info2_of(tmp_path, pki_dir):
    stores = []

    def read(body: str) -> tuple[dict, bytes]:
        path = tmp_path / f"chip{len(stores)}.toml"
        path.write_text('[personality]\nname = "chip"\n[factory]\nsvn = "2.1.0"\n'
                        f"[factory.euicc_info2]\n{body}")
        card, _, store = open_card(tmp_path / f"state{len(stores)}", pki_dir, None,
                                   personality=load_personality(str(path)))
        stores.append(store)
        card.power_on()
        with Es10Client(DirectLink(card)) as es10:
            raw = es10.store_data(bytes.fromhex("BF2200"))
            return es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2"), raw

    yield read
    for store in stores:
        store.close()


def members(raw: bytes) -> set[int]:
    """The context tag numbers of the members the card sent."""
    ((_, body),) = parse(raw)
    return {tag & 0x1F if tag < 0x100 else tag & 0x7F for tag, _ in parse(body)
            if tag & 0xC0 == 0x80 or tag >> 8 & 0xC0 == 0x80}


def test_every_member_is_set(info2_of):
    body = "".join(f"{key} = {value}\n" for key, value, _ in SET.values() if key) + EXTRA
    info2, _ = info2_of(body)
    for member, (_, _, expected) in SET.items():
        if expected is not None:
            assert info2[member] == expected, member
    assert dict(parse(info2["extCardResource"])) == {
        0x81: b"\x03", 0x82: (5000).to_bytes(4, "big"), 0x83: (77).to_bytes(2, "big")}


@pytest.mark.parametrize("member", OPTIONAL)
def test_every_optional_member_is_left_out(info2_of, member):
    key = SET[member][0]
    given = "".join(f"{k} = {v}\n" for m, (k, v, _) in SET.items()
                    if k and m in OPTIONAL and m != member)
    left = 'leave_out = ["globalplatform_version"]\n' if member == "globalplatformVersion" \
        else ""
    info2, raw = info2_of(given + left)
    assert member not in info2 and TAGS[member] not in members(raw), key
    for other in OPTIONAL:
        if other != member:
            assert other in info2, other


def test_globalplatform_version_is_sent_by_default(info2_of):
    info2, _ = info2_of("")
    assert info2["globalplatformVersion"] == b"\x02\x03\x00"
    assert not {"ts102241Version", "euiccCategory", "forbiddenProfilePolicyRules",
                "certificationDataObject"} & set(info2)


@pytest.mark.parametrize("body, says", [
    ('leave_out = ["euicc_category"]', "leave_out: 'euicc_category': euiccCategory is left "
                                       "out unless given"),
    ('leave_out = ["firmware"]', "leave_out: 'firmware' \\(allowed: globalplatform_version"),
    ('globalplatform_version = "2.3.0"\nleave_out = ["globalplatform_version"]',
     "leave_out: 'globalplatform_version' is given as well"),
    ('leave_out = "globalplatform_version"', "leave_out: 'globalplatform_version': a list"),
])
def test_leave_out_errors_name_file_and_line(tmp_path, body, says):
    path = tmp_path / "chip.toml"
    path.write_text(f'[personality]\nname = "x"\n[factory.euicc_info2]\n{body}\n')
    line = 4 + body.count("\n")
    with pytest.raises(ScenarioError, match=f"chip.toml:{line}: factory.euicc_info2: {says}"):
        load_personality(str(path))


def test_a_chip_without_globalplatform_version_is_captured_as_such(tmp_path, pki_dir):
    from euicc_tools.personalities.capture import capture
    from euicc_tools.personalities.capture_toml import write

    path = tmp_path / "chip.toml"
    path.write_text('[personality]\nname = "chip"\n[factory.euicc_info2]\n'
                    'leave_out = ["globalplatform_version"]\n')
    card, _, store = open_card(tmp_path / "state", pki_dir, None,
                               personality=load_personality(str(path)))
    try:
        first = capture(DirectLink(card), card.power_on())
    finally:
        store.close()
    target = tmp_path / "out" / "again.toml"
    target.parent.mkdir()
    rendered, mismatches = write(first, target)
    assert mismatches == [] and 'leave_out = ["globalplatform_version"]' in rendered.text
    assert "globalplatformVersion" not in rendered.text
