"""The ES10 Wireshark dissector (tools/wireshark/es10.lua, issue 12.5): its name tables are
what the generator makes from the card's SGP.22 ASN.1 module and ES10 table, and tshark
with it decodes a whole download the card traced: each ES10 function by its SGP.22 name
(5.7), STORE DATA blocks and GET RESPONSE parts reassembled, the BER-TLV with the ASN.1
field names, and the fault plan's marks beside them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from euicc.faults import Action, ActionKind, Match, Rule
from euicc.trace import PcapTrace
from euicc_tools.lpa.download import download
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp
from euicc_tools.wireshark.generate import LUA

ADDRESS = "smdp.wireshark.example"


def test_the_shipped_dissector_is_what_the_generator_writes():
    done = subprocess.run([sys.executable, "-m", "euicc_tools.wireshark.generate", "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def tshark():
    if shutil.which("tshark") is None:
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail("tshark is not installed (bash tools/setup.sh)")
        pytest.skip("tshark is not installed")
    return lambda *args: subprocess.run(["tshark", "-X", f"lua_script:{LUA}", *args],
                                        capture_output=True, text=True, check=True,
                                        timeout=120).stdout


def test_tshark_decodes_a_traced_download(tshark, card, es10, pki_dir, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "P.der").write_bytes(build_upp("8944123400000000077", "001010000000077",
                                               k=bytes(16), opc=bytes(16),
                                               include=("mf", "usim")))
    pcap = tmp_path / "download.pcap"
    trace = PcapTrace(pcap)
    card.observers.append(trace)
    card.faults.add(Rule(Match(name="ES10b.GetEUICCInfo1"), Action(ActionKind.DELAY, ms=1)))
    assert download(es10, es9_direct(Smdp(ADDRESS, pki_dir, profiles)), ADDRESS, "P").ok
    trace.close()
    summary = tshark("-r", str(pcap))
    functions = [line.rsplit("[", 1)[1].rstrip("] ") for line in summary.splitlines()
                 if "[ES10" in line]
    assert functions[:6] == ["ES10b.GetEUICCChallenge", "ES10b.GetEUICCChallenge response",
                             "ES10b.GetEUICCInfo1", "ES10b.GetEUICCInfo1 response",
                             "ES10b.AuthenticateServer", "ES10b.AuthenticateServer response"]
    assert "ES10b.PrepareDownload response" in functions
    assert functions[-1] == "ES10b.LoadBoundProfilePackage response"
    detail = tshark("-r", str(pcap), "-V")
    for shown in ("AuthenticateServerRequest (BF38", "serverSigned1 (30", "euiccChallenge (81)",
                  "serverCertificate (30", "ProfileInstallationResult (BF37",
                  "successResult (A0", "notificationMetadata (BF2F",
                  "Reassembled from packets:"):
        assert shown in detail, shown
    fields = tshark("-r", str(pcap), "-T", "fields", "-e", "es10.function", "-e",
                    "gsmtap_log.string").split("\n")
    assert any("injected f1: delay 1 ms" in line for line in fields)


def test_tshark_names_the_sgp32_functions(tshark, store, credentials, tmp_path):
    """SGP.32 5.9 on an IoT eUICC: each function by its SGP.32 name, its BER-TLV with
    SGP32Definitions' field names; BF59 / BF5A by the card's version (its GetEUICCInfo2
    iotVersion, or the es10.sgp32 preference)."""
    from euicc_tools.testkit.eim import SampleEim
    from tests.support.sgp32 import add_eim, iot_client

    pcap = tmp_path / "iot.pcap"
    trace = PcapTrace(pcap)
    client = iot_client(store, credentials)
    client.link.card.observers.append(trace)
    eim = SampleEim()
    client.store_data(bytes.fromhex("BF2200"))
    add_eim(client, eim)
    client.store_data(bytes.fromhex("BF5500"))
    client.store_data(bytes.fromhex("BF5600"))
    client.store_data(eim.package(credentials.eid, [("getRAT", {})]))
    for unimplemented in ("BF58038001FF", "BF5900", "BF5A00"):  # '6A80' on this card
        try:
            client.store_data(bytes.fromhex(unimplemented))
        except Exception:  # noqa: BLE001 - the card's refusal is not what is looked at
            pass
    client.close()
    trace.close()

    def names(*options):
        out = tshark("-r", str(pcap), *options, "-T", "fields", "-e", "es10.function")
        return [n for line in out.splitlines() for n in line.split(",") if n]

    seen = names()
    for name in ("ES10b.GetEUICCInfo2", "ES10b.AddInitialEim", "ES10b.GetEimConfigurationData",
                 "ES10b.GetCerts", "ES10b.LoadEuiccPackage", "ES10b.ProfileRollback",
                 "ES10b.ConfigureAutoProfileEnabling", "ES10b.EnableUsingDD"):
        assert name in seen, name
    v12 = names("-o", "es10.sgp32:1.2")
    assert "ES10b.ConfigureImmediateProfileEnabling" in v12 and "ES10b.ImmediateEnable" in v12
    assert "ES10b.EnableUsingDD" not in v12
    assert "ES10b.LoadEuiccPackage" not in names("-o", "es10.sgp32:SGP.22")
    detail = tshark("-r", str(pcap), "-V")
    for shown in ("SGP32-EUICCInfo2 (BF22", "iotSpecificInfo (B4", "AddInitialEimRequest (BF57",
                  "eimConfigurationDataList (A0", "EuiccPackageRequest (BF51",
                  "euiccPackageSigned (30", "EuiccPackageResult (BF51",
                  "euiccPackageResultSigned (A0", "GetEimConfigurationDataResponse (BF55"):
        assert shown in detail, shown
