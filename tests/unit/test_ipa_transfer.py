"""ESipa.TransferEimPackage (SGP.32 6.3.3.1) on the IPA's side, in-process
(:func:`euicc_tools.lpa.ipa.transfer`): what is no TransferEimPackageRequest is
eimPackageError invalidPackageFormat(1) with nothing done on the card; a pushed eUICC
Package's EuiccPackageResult is the answer byte for byte, as the card signed it; a pushed
eimAcknowledgements removes the result (5.9.12)."""

import pytest

from euicc.asn1 import decode_exact, encode, sgp32
from euicc_tools.lpa.ipa import transfer
from euicc_tools.testkit.eim import SampleEim
from tests.support.sgp32 import add_eim, iot_client


def nobody(body):
    raise AssertionError("nothing goes to the eIM for these")


@pytest.fixture
def iot(store, credentials):
    client = iot_client(store, credentials)
    yield client
    client.close()


def answer(raw: bytes):
    kind, value = decode_exact(sgp32(), "EsipaMessageFromIpaToEim", raw)
    assert kind == "transferEimPackageResponse"
    return value


@pytest.mark.parametrize("body", [b"", bytes.fromhex("BF4E"), bytes.fromhex("300100"),
                                  bytes.fromhex("BF4F03020101")])  # a GetEimPackageResponse
def test_what_is_no_transfer_request_is_invalid_package_format(iot, store, body):
    raw, report, after = transfer(iot, nobody, None, body)
    assert answer(raw) == ("eimPackageError", 1) and after is None and "error" in report
    assert store.package_results() == []


def test_a_pushed_package_is_answered_with_its_result_then_acknowledged(iot, store,
                                                                        credentials):
    eim = SampleEim()
    add_eim(iot, eim)
    request = eim.package(credentials.eid, [("getRAT", {})])
    push = encode(sgp32(), "EsipaMessageFromEimToIpa", (
        "transferEimPackageRequest", ("euiccPackageRequest", decode_exact(
            sgp32(), "EuiccPackageRequest", request))))
    raw, report, after = transfer(iot, nobody, None, push)
    [(seq, _, kept)] = store.package_results()
    assert raw[:2] == bytes.fromhex("BF4E") and raw[raw.index(b"\xbf\x51"):] == kept
    assert answer(raw)[0] == "euiccPackageResult" and report["result"] == \
        "euiccPackageResultSigned"
    ack = encode(sgp32(), "EsipaMessageFromEimToIpa",
                 ("transferEimPackageRequest", ("eimAcknowledgements", [seq])))
    raw, report, _ = transfer(iot, nobody, None, ack)
    assert answer(raw) == ("eimPackageReceived", None) and report["removed"] == [seq]
    assert store.package_results() == []
