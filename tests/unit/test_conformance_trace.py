"""The card's pcap read back as ES10 exchanges (tools/conformance/trace.py, issue 12.2's
footing): a whole download decodes function by function with its requests and responses
as SGP.22 types (5.7), the fault plan's marks land on the exchange they changed, and what
an LPA does wrong with the APDUs becomes a finding with its clause (GlobalPlatform 11.11.2
STORE DATA blocks, ISO/IEC 7816-4 7.6.1 GET RESPONSE, 11.1.2 logical channels)."""

from __future__ import annotations

from euicc.faults import Action, ActionKind, Match, Rule
from euicc.trace import PcapTrace
from euicc_tools.conformance.trace import card_functions, read_trace
from euicc_tools.lpa.download import download
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp

ADDRESS = "smdp.trace.example"
ISD_R = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


def traced(card, tmp_path):
    pcap = tmp_path / "card.pcap"
    trace = PcapTrace(pcap)
    card.observers.append(trace)
    return pcap, trace


def test_a_download_reads_back_function_by_function(card, es10, pki_dir, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "P.der").write_bytes(build_upp("8944123400000000085", "001010000000085",
                                               k=bytes(16), opc=bytes(16),
                                               include=("mf", "usim")))
    es10.close()  # opened by the fixture before the trace: open it again, traced
    pcap, trace = traced(card, tmp_path)
    es10.open()
    card.faults.add(Rule(Match(name="ES10b.GetEUICCInfo1"), Action(ActionKind.DELAY, ms=1)))
    result = download(es10, es9_direct(Smdp(ADDRESS, pki_dir, profiles)), ADDRESS, "P")
    es10.close()
    trace.close()
    read = read_trace(pcap, card_functions(card))
    names = [e.function for e in read.exchanges]
    assert names[:5] == ["ES10b.GetEUICCChallenge", "ES10b.GetEUICCInfo1",
                         "ES10b.AuthenticateServer", "ES10b.PrepareDownload",
                         "ES10b.LoadBoundProfilePackage"]
    assert set(names[4:]) == {"ES10b.LoadBoundProfilePackage"}
    challenge, info1, auth, prepare = read.exchanges[:4]
    assert auth.request["serverSigned1"]["euiccChallenge"] == \
        challenge.answer["euiccChallenge"]
    assert auth.answer[0] == "authenticateResponseOk" and prepare.answer[0] == \
        "downloadResponseOk"
    assert info1.marks == ["injected f1: delay 1 ms"] and challenge.marks == []
    assert len(auth.apdus) > 2  # blocks and GET RESPONSE parts put together
    assert read.exchanges[-1].answer == result.result
    assert read.findings == []


def test_what_an_lpa_does_wrong_is_found_with_its_clause(card, tmp_path):
    pcap, trace = traced(card, tmp_path)
    card.power_on()
    card.transmit(bytes.fromhex("0070000001"))  # channel 1 opened, never closed
    card.transmit(bytes([0x02, 0xA4, 0x04, 0x00, len(ISD_R)]) + ISD_R)  # on channel 2
    card.transmit(bytes([0x01, 0xA4, 0x04, 0x00, len(ISD_R)]) + ISD_R)
    card.transmit(bytes.fromhex("81E2110003BF3E03"))  # block 0 of GetEID
    card.transmit(bytes.fromhex("81E29102035C015A"))  # block 2: block 1 was due
    card.transmit(bytes.fromhex("81C0000010"))  # the card refused block 2: nothing pending
    card.transmit(bytes.fromhex("80E2910003BF2E00"))  # channel 0: the ISD-R is not selected
    trace.close()
    findings = read_trace(pcap, card_functions(card)).findings
    texts = {(f.clause, f.text) for f in findings}
    assert ("ISO/IEC 7816-4 5.1.1, 11.1.2", "command on logical channel 2, never opened") \
        in texts
    assert ("GlobalPlatform 11.11.2.2", "block 2 where 1 was due") in texts
    assert ("SGP.22 5.7.2", "STORE DATA on channel 0, where the ISD-R is not selected") \
        in texts
    assert ("ISO/IEC 7816-4 11.1.2", "logical channel 1 left open") in texts
    assert ("ISO/IEC 7816-4 7.6.1", "GET RESPONSE with no response pending") in texts
    assert len(findings) == 5
