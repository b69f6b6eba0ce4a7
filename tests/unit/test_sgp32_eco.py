"""eIM Configuration Operations in a signed eUICC Package (SGP.32 v1.0 2.11.1.1.2, 5.13
AddEim / DeleteEim / UpdateEim / ListEim): each result code of 2.11.2.1, and what they leave
in the store."""

import pytest

from euicc.asn1 import decode_exact, sgp32
from euicc.store import CardStore
from euicc_tools.testkit.eim import SampleEim
from tests.support.sgp32 import add_eim, call


@pytest.fixture
def eim(iot):
    first = SampleEim(eim_id="first")
    add_eim(iot, first)
    return first


def run_ecos(client, eim: SampleEim, eid: str, ecos: list) -> list:
    request = eim.package(eid, [], ecos=ecos)
    kind, value = call(client, request, "EuiccPackageResult")
    assert kind == "euiccPackageResultSigned"
    return value["euiccPackageResultDataSigned"]["euiccResult"]


def ids(store: CardStore) -> list[str]:
    return [r.eim_id for r in store.eims()]


def test_add_list_and_delete(iot, eim, store, credentials):
    second = SampleEim(eim_id="second")
    assert run_ecos(iot, eim, credentials.eid, [
        ("addEim", second.configuration(eimIdType=2)),
        ("addEim", SampleEim(eim_id="third").configuration(ask_token=True)),
        ("listEim", {}),
    ]) == [
        ("addEimResult", ("addEimResultCode", 0)),
        ("addEimResult", ("associationToken", 1)),
        ("listEimResult", ("eimIdList", [{"eimId": "first"}, {"eimId": "second", "eimIdType": 2},
                                         {"eimId": "third"}])),
    ]
    # the added eIM signs packages of its own now
    assert run_ecos(iot, second, credentials.eid, [("deleteEim", {"eimId": "first"}),
                                                   ("deleteEim", {"eimId": "nobody"})]) == [
        ("deleteEimResult", 0), ("deleteEimResult", 1)]  # ok, eimNotFound
    assert ids(store) == ["second", "third"]


def test_deleting_the_last_eim_allows_add_initial_eim_again(iot, eim, store, credentials):
    """SGP.32 5.13.9: lastEimDeleted(2); AddInitialEim may associate an eIM again."""
    assert run_ecos(iot, eim, credentials.eid, [("deleteEim", {"eimId": "first"})]) == [
        ("deleteEimResult", 2)]
    assert store.eims() == []
    assert add_eim(iot, SampleEim(eim_id="new")) == ("addInitialEimOk", [("addOk", None)])


@pytest.mark.parametrize(("config", "code"), [
    ({"eimId": "first"}, 7),  # commandError: associated already
    ({"eimId": "x", "counterValue": 0x800000}, 6),  # counterValueOutOfRange
    ({"eimId": "x", "euiccCiPKId": b"\x03" * 20}, 3),  # ciPKUnknown
    ({"eimId": "x", "associationToken": 9}, 5),  # invalidAssociationToken
])
def test_add_eim_refusals(iot, eim, store, credentials, config, code):
    entry = SampleEim(eim_id=config.pop("eimId")).configuration(**config)
    assert run_ecos(iot, eim, credentials.eid, [("addEim", entry)]) == [
        ("addEimResult", ("addEimResultCode", code))]
    assert ids(store) == ["first"]


def test_add_eim_without_public_key_and_when_full(iot, eim, store, credentials):
    entry = SampleEim(eim_id="x").configuration()
    del entry["eimPublicKeyData"]
    assert run_ecos(iot, eim, credentials.eid, [("addEim", entry)]) == [
        ("addEimResult", ("addEimResultCode", 7))]
    more = [("addEim", SampleEim(eim_id=f"e{n}").configuration()) for n in range(8)]
    results = run_ecos(iot, eim, credentials.eid, more)
    assert results[:7] == [("addEimResult", ("addEimResultCode", 0))] * 7
    assert results[7] == ("addEimResult", ("addEimResultCode", 1))  # insufficientMemory
    assert len(store.eims()) == 8


def test_update_eim_key_and_counter(iot, eim, store, credentials):
    """updateEim: a new key verifies the next packages, the old one no longer does; a new
    counterValue is the eIM's counter (SGP.32 5.13, UpdateEim)."""
    replacement = SampleEim(eim_id="first")
    update = {"eimId": "first", "counterValue": 100,
              "eimPublicKeyData": replacement.configuration()["eimPublicKeyData"]}
    assert run_ecos(iot, eim, credentials.eid, [("updateEim", update),
                                                ("updateEim", {"eimId": "nobody"})]) == [
        ("updateEimResult", 0), ("updateEimResult", 1)]
    assert store.eims()[0].counter == 100
    old = eim.package(credentials.eid, [("getRAT", {})], counter=101)
    assert call(iot, old, "EuiccPackageResult")[0] == "euiccPackageErrorUnsigned"
    new = replacement.package(credentials.eid, [("getRAT", {})], counter=101)
    assert call(iot, new, "EuiccPackageResult")[0] == "euiccPackageResultSigned"
    data = call(iot, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
    assert data["eimConfigurationDataList"][0]["counterValue"] == 101


def test_update_eim_refusals(iot, eim, store, credentials):
    before = store.eims()
    assert run_ecos(iot, eim, credentials.eid, [
        ("updateEim", {"eimId": "first", "associationToken": -1}),
        ("updateEim", {"eimId": "first", "counterValue": -5}),
        ("updateEim", {"eimId": "first", "euiccCiPKId": b"\x04" * 20}),
    ]) == [("updateEimResult", 7), ("updateEimResult", 6), ("updateEimResult", 3)]
    after = store.eims()
    assert [r.config for r in after] == [r.config for r in before]
    assert after[0].counter == 1  # the package's own counterValue, nothing else
    assert decode_exact(sgp32(), "EimConfigurationData", after[0].config)["eimId"] == "first"
