"""The IoT eUICC (`euicc-emu run --personality iot`, SGP.32 v1.0) through the real pcscd and
vpcd with pyscard, as an IPA drives it: AddInitialEim (5.9.4) with a test eIM key made here,
GetEimConfigurationData (5.9.18), GetCerts (5.9.10) and a signed LoadEuiccPackage (5.9.1)
whose EuiccPackageResult verifies with the certificate GetCerts gave; after `kill -9` the
eIM and its counterValue are still there, so the same package is a replayError(4)."""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, sgp32
from euicc.tlv import parse, tlv
from euicc_tools.testkit.eim import SampleEim, result_signature_valid
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.sgp32 import call, pcsc_client

pytestmark = pytest.mark.integration


def test_ipa_flow_through_pcscd(pcscd, tmp_path):
    emulator = Emulator(tmp_path / "card", extra=["--personality", "iot"]).start()
    eim = SampleEim()
    try:
        link, es10 = pcsc_client(emulator)
        try:
            eid = es10.get_eid()
            assert call(es10, eim.add_initial_eim_request(), "AddInitialEimResponse") == (
                "addInitialEimOk", [("addOk", None)])
            data = call(es10, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
            assert [c["eimId"] for c in data["eimConfigurationDataList"]] == [eim.eim_id]
            kind, certs = call(es10, bytes.fromhex("BF5600"), "GetCertsResponse")
            assert kind == "certs"
            [(_, certs_value)] = parse(es10.store_data(bytes.fromhex("BF5600")))
            [(_, members)] = parse(certs_value)
            euicc_cert = tlv(0x30, dict(parse(members))[0xA6])  # implicit 'A6': its fields
            request = eim.package(eid, [("listProfileInfo", {}), ("getRAT", {})])
            result = es10.store_data(request)
            kind, value = decode_exact(sgp32(), "EuiccPackageResult", result)
            assert kind == "euiccPackageResultSigned"
            assert value["euiccPackageResultDataSigned"]["euiccResult"][0] == (
                "listProfileInfoResult", ("profileInfoListOk", []))
            assert result_signature_valid(result, request, euicc_cert)
        finally:
            es10.close()
            link.close()
        emulator.kill()  # kill -9: what was committed is all there is
        emulator.start()
        link, es10 = pcsc_client(emulator)
        try:
            data = call(es10, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
            [config] = data["eimConfigurationDataList"]
            assert (config["eimId"], config["counterValue"]) == (eim.eim_id, 1)
            kind, value = call(es10, request, "EuiccPackageResult")
            assert kind == "euiccPackageErrorSigned"
            assert value["euiccPackageErrorDataSigned"]["euiccPackageErrorCode"] == 4
        finally:
            es10.close()
            link.close()
    finally:
        emulator.stop()
