"""The project's SGP.32 v1.0 ASN.1 module (euicc/asn1/sgp32.asn, SGP32Definitions compiled
with RSPDefinitions): the encodings the peers (onomondo-ipa, onomondo-eim, pySim) rely on,
where AUTOMATIC TAGS and tagged CHOICEs decide the octets; and the `iot` personality's
`[card] sgp32` setting."""

import subprocess
import sys

import pytest

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.faults import ScenarioError
from euicc_tools.personalities import load_personality


def test_euicc_package_result_alternatives_are_automatic():
    """SGP.32 2.11.2.1: BF51 then A0 / A1 / A2 (AUTOMATIC TAGS on the CHOICE)."""
    spec = sgp32()
    raw = encode(spec, "EuiccPackageResult", ("euiccPackageErrorUnsigned", {"eimId": "e"}))
    assert raw.hex().upper() == "BF5105A203800165"
    data = {"eimId": "e", "counterValue": 1, "seqNumber": 2, "euiccResult": [
        ("enableResult", 0), ("listProfileInfoResult", ("profileInfoListOk", [])),
        ("processingTerminated", 2)]}
    raw = encode(spec, "EuiccResultData", data["euiccResult"][1])
    assert raw.hex().upper() == "BF2D02A000"  # one 'BF2D': the type's own tag
    assert encode(spec, "EuiccResultData", ("processingTerminated", 2)) == b"\x02\x01\x02"


def test_psmo_enable_keeps_its_iccid_tag():
    """SGP.32 2.11.1.1.3: enable [3] SEQUENCE { iccid '5A', rollbackFlag '05' }."""
    raw = encode(sgp32(), "Psmo", ("enable", {"iccid": bytes(10), "rollbackFlag": None}))
    assert raw.hex().upper() == "A30E5A0A" + "00" * 10 + "0500"


def test_profile_rollback_response_has_one_bf51():
    raw = encode(sgp32(), "ProfileRollbackResponse", {
        "cmdResult": 0, "eUICCPackageResult": ("euiccPackageErrorUnsigned", {"eimId": "e"})})
    assert raw.hex().upper() == "BF580B020100BF5105A203800165"
    assert decode_exact(sgp32(), "ProfileRollbackResponse", raw)["cmdResult"] == 0


def test_eim_public_key_is_implicit_spki():
    """EimConfigurationData eimPublicKeyData [5] CHOICE { eimPublicKey [0] IMPLICIT
    SubjectPublicKeyInfo }: 'A5' 'A0' and the SPKI's contents (algorithm first)."""
    spki = {"algorithm": {"algorithm": "1.2.840.10045.2.1",
                          "parameters": bytes.fromhex("06082A8648CE3D030107")},
            "subjectPublicKey": (b"\x04" + bytes(64), 520)}
    raw = encode(sgp32(), "EimConfigurationData",
                 {"eimId": "e", "eimPublicKeyData": ("eimPublicKey", spki)})
    assert raw[5:9].hex().upper() == "A55BA059" and raw[9:11] == b"\x30\x13"


def test_sgp22_types_share_the_specification():
    assert encode(sgp32(), "GetEuiccDataRequest", {"tagList": b"\x5a"}).hex() == "bf3e035c015a"


def test_iot_personality_and_bad_version(tmp_path):
    assert load_personality("iot").sgp32 == "1.0"
    assert load_personality("generic").sgp32 is None
    bad = tmp_path / "bad.toml"
    bad.write_text('[personality]\nname = "x"\n[card]\nsgp32 = "1.1"\n')
    with pytest.raises(ScenarioError, match=r"card: sgp32: '1.1' \(allowed: 1.0, 1.2\)"):
        load_personality(str(bad))
    good = tmp_path / "v12.toml"
    good.write_text('[personality]\nname = "x"\n[card]\nsgp32 = "1.2"\n')
    assert load_personality(str(good)).sgp32 == "1.2"


def test_cli_refuses_an_unknown_version(tmp_path):
    """A personality error is said (the file, its line, the allowed versions) and the
    command fails (exit 1), in a process of its own as a user runs it."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[personality]\nname = "x"\n[card]\nsgp32 = "2.0"\n')
    done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "personality",
                           "show", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "bad.toml:4: card: sgp32: '2.0' (allowed: 1.0, 1.2)" in done.stderr
