"""The SGP.32 function names the trace readers use (euicc_tools.sgp32_functions: the
Wireshark dissector, the conformance runner's pcap reader) are the IoT card's own (its ES10
table names the -vv log, the shell's log and the fault plan's targets), SGP.32 5.9; and the
fault plan takes the SGP.32 functions, through the card (SGP.32 5.9.1, 5.9.4)."""

from __future__ import annotations

import time

import pytest

from euicc.asn1 import Asn1Error, decode_exact, sgp32
from euicc.faults import Action, ActionKind, Match, Rule
from euicc_tools import sgp32_functions
from euicc_tools.conformance.trace import card_functions
from euicc_tools.emulator.card import build_card, fault_catalog
from euicc_tools.lpa.es10 import CardError
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.eim import SampleEim
from tests.support.sgp32 import add_eim, iot_client


def test_the_catalogue_names_what_the_card_has(store, credentials):
    card = build_card(store, credentials, personality=load_personality("iot"))
    table = card_functions(card)
    catalogue = sgp32_functions.functions("1.0")
    for tag, (name, request, response) in catalogue.items():
        if tag in table:
            assert table[tag] == (name, request, response), hex(tag)
    assert {0xBF51, 0xBF55, 0xBF56, 0xBF57} <= set(table)
    # the fault plan may name each of them (euicc-emu shell -c "fault targets")
    assert {table[tag][0] for tag in table if tag in sgp32_functions.SGP32_ONLY} <= set(
        fault_catalog(card).names())


def test_the_v12_catalogue_names_what_the_v12_card_has(store, credentials):
    """SGP.32 v1.2 5.9.20-5.9.23 and GetProfilesInfo's v1.2 ProfileInfo: the card's table
    and the trace readers' agree."""
    table = card_functions(build_card(store, credentials, personality=load_personality("iot12")))
    catalogue = sgp32_functions.functions("1.2")
    for tag in (0xBF2D, 0xBF5B, 0xBF5C, 0xBF5D, 0xBF5E, 0xBF59, 0xBF5A, 0xBF64):
        assert table[tag] == catalogue[tag], hex(tag)


def test_versions_differ_only_where_sgp32_gives_the_tag_another_function():
    v10, v12 = sgp32_functions.functions("1.0"), sgp32_functions.functions("1.2")
    assert {tag for tag in set(v10) & set(v12) if v10[tag] != v12[tag]} == {0xBF59, 0xBF5A}
    assert set(v12) - set(v10) == {0xBF2D, 0xBF5B, 0xBF5C, 0xBF5D, 0xBF5E, 0xBF64}
    assert set(v10) - set(v12) == {0xBF34}  # v1.2 moved eUICCMemoryReset to 'BF64'
    assert v10[0xBF59][0] == "ES10b.ConfigureAutoProfileEnabling"
    assert v12[0xBF59][0] == "ES10b.ConfigureImmediateProfileEnabling"
    assert (v10[0xBF5A][0], v12[0xBF5A][0]) == ("ES10b.EnableUsingDD", "ES10b.ImmediateEnable")
    with pytest.raises(ValueError):
        sgp32_functions.functions("2.0")


@pytest.fixture
def iot(store, credentials):
    client = iot_client(store, credentials)
    yield client
    client.close()


def faults(client):
    return client.link.card.faults


def test_a_status_word_on_add_initial_eim_changes_nothing(iot, store):
    """SGP.32 5.9.4 AddInitialEim answered '6985' by the fault plan: no eIM stored."""
    faults(iot).add(Rule(Match(name="ES10b.AddInitialEim"), Action(ActionKind.STATUS,
                                                                   sw=0x6985)))
    with pytest.raises(CardError) as err:
        add_eim(iot, SampleEim())
    assert err.value.sw == 0x6985 and store.eims() == []
    assert add_eim(iot, SampleEim()) == ("addInitialEimOk", [("addOk", None)])  # once


def test_a_corrupted_load_euicc_package_answer_and_a_delay(iot, store, credentials):
    """SGP.32 5.9.1 LoadEuiccPackage: the answer truncated by the fault plan (the package
    still ran: the result is kept), then one delayed."""
    eim = SampleEim()
    add_eim(iot, eim)
    faults(iot).add(Rule(Match(name="ES10b.LoadEuiccPackage"),
                         Action(ActionKind.MALFORMED, form="truncated")))
    marks = []
    iot.link.card.observers.append(lambda exchange: marks.extend(exchange.injected))
    raw = iot.store_data(eim.package(credentials.eid, [("getRAT", {})]))
    assert raw[:2] == bytes.fromhex("BF51") and any("malformed truncated" in m for m in marks)
    with pytest.raises(Asn1Error):
        decode_exact(sgp32(), "EuiccPackageResult", raw)
    assert len(store.package_results()) == 1
    faults(iot).add(Rule(Match(name="ES10b.LoadEuiccPackage"), Action(ActionKind.DELAY,
                                                                      ms=200)))
    started = time.monotonic()
    iot.store_data(eim.package(credentials.eid, [("getRAT", {})]))
    assert time.monotonic() - started >= 0.2
    assert len(store.package_results()) == 2


def test_an_iot_cards_pcap_reads_back_as_sgp32_functions(store, credentials, tmp_path):
    """The conformance runner's reader (tools/conformance/trace.py) with an IoT card's table
    and SGP32Definitions: each SGP.32 function by name, its request and response decoded as
    SGP.32's types (5.9.1, 5.9.2, 5.9.4, 5.9.16: rollbackNotAllowed with nothing armed)."""
    from euicc.trace import PcapTrace
    from euicc_tools.conformance.trace import es10_table, read_trace

    pcap = tmp_path / "iot.pcap"
    trace = PcapTrace(pcap)
    client = iot_client(store, credentials)
    client.close()  # opened before the trace: opened again, traced
    client.link.card.observers.append(trace)
    client.open()
    eim = SampleEim()
    client.store_data(bytes.fromhex("BF2200"))
    add_eim(client, eim)
    client.store_data(eim.package(credentials.eid, [("getRAT", {})]))
    client.store_data(bytes.fromhex("BF58038001FF"))  # ProfileRollback: nothing armed
    client.close()
    trace.close()
    read = read_trace(pcap, es10_table(None, "iot"), sgp32)
    by_name = {e.function: e for e in read.exchanges}
    assert by_name["ES10b.GetEUICCInfo2"].answer["ipaMode"] == 0
    assert by_name["ES10b.AddInitialEim"].request["eimConfigurationDataList"][0]["eimId"] == \
        eim.eim_id
    package = by_name["ES10b.LoadEuiccPackage"]
    assert package.request["euiccPackageSigned"]["counterValue"] == 1
    assert package.answer[0] == "euiccPackageResultSigned"
    rollback = by_name["ES10b.ProfileRollback"]
    assert rollback.sw == 0x9000 and rollback.request == {"refreshFlag": True}
    assert rollback.answer["cmdResult"] == 1  # rollbackNotAllowed
    assert read.findings == []


@pytest.mark.parametrize("version, name, code_name, code", [
    ("1.0", "ES10b.AddInitialEim", "unsignedEimConfigDisallowed", 2),
    ("1.0", "ES10b.GetCerts", "invalidCiPKId", 1),
    ("1.0", "ES10b.ProfileRollback", "rollbackNotAllowed", 1),
    ("1.0", "ES10b.ConfigureAutoProfileEnabling", "unsignedAutoEnableConfigDisallowed", 2),
    ("1.0", "ES10b.EnableUsingDD", "autoEnableNotAvailable", 1),
    ("1.0", "ES10c.eUICCMemoryReset", "nothingToDelete", 1),
    ("1.2", "ES10b.ConfigureImmediateProfileEnabling", "associatedEimAlreadyExists", 2),
    ("1.2", "ES10b.ImmediateEnable", "immediateEnableNotAvailable", 1),
    ("1.2", "ES10b.ExecuteFallbackMechanism", "ecallActive", 104),
    ("1.2", "ES10b.ReturnFromFallback", "fallbackNotAvailable", 6),
    ("1.2", "ES10b.EnableEmergencyProfile", "ecallNotAvailable", 8),
    ("1.2", "ES10b.DisableEmergencyProfile", "profileNotInEnabledState", 2),
    ("1.2", "ES10c.GetProfilesInfo", "profileChangeOngoing", 11),
    ("1.2", "ES10b.eUICCMemoryReset", "ecallActive", 104),
])
def test_the_fault_plans_error_action_knows_each_sgp32_functions_codes(
        store, credentials, tmp_path, version, name, code_name, code):
    """SGP.32 5.9.4, 5.9.10, 5.9.16, 5.9.17, 5.9.15, 5.9.5 (and v1.2's BF59 / BF5A, 5.9.20-23,
    GetProfilesInfo's profileChangeOngoing, eUICCMemoryReset's ecallActive): the
    error results a fault plan may inject are the named numbers of each function's own
    result member or error alternative in SGP32Definitions."""
    personality = load_personality("iot")
    if version != "1.0":
        path = tmp_path / "iot12.toml"
        path.write_text(f'[personality]\nname = "iot12"\n[card]\nsgp32 = "{version}"\n')
        personality = load_personality(str(path))
    card = build_card(store, credentials, personality=personality)
    codes = fault_catalog(card).targets[name].error_codes
    assert codes[code_name] == code and "ok" not in codes


def test_an_injected_profile_rollback_error_is_its_cmd_result_and_changes_nothing(iot, store):
    """SGP.32 5.9.16 ProfileRollback: the fault plan's error action answers cmdResult
    catBusy(5) once; the card's own answer (rollbackNotAllowed(1), nothing armed) after."""
    faults(iot).add(Rule(Match(name="ES10b.ProfileRollback"),
                         Action(ActionKind.ERROR, code=5, code_name="catBusy")))
    request = bytes.fromhex("BF5803800100")
    assert decode_exact(sgp32(), "ProfileRollbackResponse", iot.store_data(request)) == {
        "cmdResult": 5}
    assert decode_exact(sgp32(), "ProfileRollbackResponse", iot.store_data(request)) == {
        "cmdResult": 1}


def test_an_injected_add_initial_eim_error_stores_no_eim(iot, store):
    """SGP.32 5.9.4 AddInitialEim: an injected addInitialEimError is the error alternative
    and no eIM is stored; the next AddInitialEim is the card's own."""
    faults(iot).add(Rule(Match(name="ES10b.AddInitialEim"),
                         Action(ActionKind.ERROR, code=127, code_name="undefinedError")))
    assert add_eim(iot, SampleEim()) == ("addInitialEimError", 127)
    assert store.eims() == []
    assert add_eim(iot, SampleEim())[0] == "addInitialEimOk"


def test_an_injected_load_euicc_package_error_is_signed_and_changes_nothing(iot, store,
                                                                            credentials):
    """SGP.32 5.9.1 / 2.11.2.1: the fault plan's error action on LoadEuiccPackage answers a
    euiccPackageErrorSigned with the EuiccPackageErrorCode asked (here replayError(4)),
    signed with the eUICC key over the error data and the package's eimSignature as a real
    refusal; the package does not run and its counterValue is not taken: the same package
    runs afterwards. The codes are EuiccPackageErrorCode's of the card's version."""
    from euicc_tools.testkit.eim import result_signature_valid

    card = iot.link.card
    assert fault_catalog(card).targets["ES10b.LoadEuiccPackage"].error_codes == {
        "invalidEid": 3, "replayError": 4, "counterValueOutOfRange": 6, "sizeOverflow": 15,
        "undefinedError": 127}  # v1.0: no ecallActive, v1.2's
    v12 = build_card(store, credentials, personality=load_personality("iot12"))
    assert fault_catalog(v12).targets["ES10b.LoadEuiccPackage"].error_codes[
        "ecallActive"] == 104
    eim = SampleEim()
    add_eim(iot, eim)
    faults(iot).add(Rule(Match(name="ES10b.LoadEuiccPackage"),
                         Action(ActionKind.ERROR, code=4, code_name="replayError")))
    request = eim.package(credentials.eid, [("getRAT", {})])
    raw = iot.store_data(request)
    kind, value = decode_exact(sgp32(), "EuiccPackageResult", raw)
    assert kind == "euiccPackageErrorSigned"
    assert value["euiccPackageErrorDataSigned"] == {"eimId": eim.eim_id, "counterValue": 1,
                                                    "euiccPackageErrorCode": 4}
    assert result_signature_valid(raw, request, credentials.identities[0].certificate_der)
    assert store.eims()[0].counter == 0 and store.package_results() == []
    kind, _ = decode_exact(sgp32(), "EuiccPackageResult", iot.store_data(request))
    assert kind == "euiccPackageResultSigned"  # the rule fired once; the package now runs
