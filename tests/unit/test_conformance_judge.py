"""Judging conformance cases (tools/conformance/judge.py, issue 12.2): expectations on one
timeline of ES10 exchanges and ES9+ calls, matched by SGP.22 names and decoded fields;
verdicts pass, fail (with the first unmet expectation and the trace around it) and
informational; a real download judged from the card's own pcap and the SM-DP+'s record."""

from __future__ import annotations

import pytest

from euicc.faults import Action, ActionKind, Match, Rule
from euicc.trace import PcapTrace
from euicc_tools.conformance.case import read_case
from euicc_tools.conformance.es9_log import RecordingSmdp
from euicc_tools.conformance.judge import (
    Event,
    LpaRun,
    Verdict,
    judge,
    matches,
    timeline,
)
from euicc_tools.conformance.trace import Trace, card_functions, read_trace
from euicc_tools.lpa.download import DownloadError, download
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp

OK_RUN = LpaRun(["lpa"], 0, "", "", 0.5)
FAILED_RUN = LpaRun(["lpa"], 1, "", "", 0.5)
TIMED_OUT = LpaRun(["lpa"], None, "", "", 20.0)


def write_case(tmp_path, expectations: str, head: str = 'operation = "info"') -> object:
    path = tmp_path / "grp" / "c.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'[case]\ntitle = "t"\n{head}\n\n{expectations}', encoding="utf-8")
    return read_case(path, "grp")


def event(t: float, name: str, **fields) -> Event:
    return Event(t, name, fields, "", packets=[int(t)])


EVENTS = [
    event(1, "ES10b.AuthenticateServer", request={}, answer=(
        "authenticateResponseError", {"transactionId": b"\x01\x02", "authenticateErrorCode": 2})),
    event(2, "ES9+.AuthenticateClient", request={"authenticateServerResponse": (
        "authenticateResponseError", {"authenticateErrorCode": 2})}, status="Failed"),
    event(3, "ES10c.EnableProfile", request={"profileIdentifier": (
        "iccid", bytes.fromhex("984400000000000000F5"))}, answer={"enableResult": 5}),
    event(4, "ES10b.RemoveNotificationFromList", request={"seqNumber": 128},
          answer={"deleteNotificationStatus": 0}),
]


@pytest.mark.parametrize(("fields", "hit"), [
    ({}, True),
    # a step that does not name the CHOICE's alternative goes into it
    ({"request.authenticateServerResponse.authenticateErrorCode": 2}, True),
    # an INTEGER by the name SGP.22's module gives the number
    ({"request.authenticateServerResponse.authenticateErrorCode": "invalidSignature"}, True),
    ({"request.authenticateServerResponse.authenticateErrorCode": "invalidCertificate"}, False),
    ({"request.authenticateServerResponse": "authenticateResponseError"}, True),
    ({"request.authenticateServerResponse": "authenticateResponseOk"}, False),
    ({"status": "Failed"}, True),
    ({"request.noSuchField": 1}, False),
])
def test_a_call_matches_by_name_and_decoded_fields(fields, hit):
    from euicc_tools.conformance.case import Call

    assert matches(Call("ES9+.AuthenticateClient", tuple(fields.items())), EVENTS[1]) is hit


def test_octet_strings_match_by_hex_digits_in_either_case():
    from euicc_tools.conformance.case import Call

    call = Call("ES10c.EnableProfile", (("request.profileIdentifier.iccid",
                                        "984400000000000000f5"),))
    assert matches(call, EVENTS[2])
    assert matches(Call("ES10c.EnableProfile", (("answer.enableResult", "catBusy"),)),
                   EVENTS[2])


def test_every_expectation_met_is_a_pass(tmp_path):
    case = write_case(tmp_path, """
[[expect]]
called = "ES9+.AuthenticateClient"
with = { "request.authenticateServerResponse.authenticateErrorCode" = "invalidSignature" }
clause = "SGP.22 3.0.1"

[[expect]]
not_called = "ES10b.PrepareDownload"
clause = "SGP.22 3.0.1"

[[expect]]
order = ["ES10b.AuthenticateServer", "ES9+.AuthenticateClient",
         { call = "ES10b.RemoveNotificationFromList", with = { "request.seqNumber" = 128 } }]
clause = "SGP.22 3.5"

[[expect]]
exit = "failure"
clause = "SGP.22 3.1.3"
""")
    result = judge(case, EVENTS, Trace([], [], []), FAILED_RUN)
    assert result.verdict is Verdict.PASS, result.reason
    assert [r.met for r in result.results] == [True] * 6  # and the two transport checks


def test_the_first_unmet_expectation_fails_the_case_with_the_trace_around_it(tmp_path):
    case = write_case(tmp_path, """
[[expect]]
exit = "failure"
clause = "SGP.22 3.1.3"

[[expect]]
not_called = "ES10c.EnableProfile"
clause = "SGP.22 3.2.1"

[[expect]]
called = "ES10b.CancelSession"
clause = "SGP.22 3.0.2"
""")
    result = judge(case, EVENTS, Trace([], [], []), FAILED_RUN)
    assert result.verdict is Verdict.FAIL
    assert result.reason == "not called: ES10c.EnableProfile: called 1 time(s)"
    unmet = result.results[1]
    assert not unmet.met and unmet.expectation.clause == "SGP.22 3.2.1"
    pointed = [line for line in unmet.excerpt if line.startswith("> ")]
    assert len(pointed) == 1 and "ES10c.EnableProfile" in pointed[0]
    assert not result.results[2].met  # judged too, and reported


def test_order_broken_and_counts_out_of_bounds(tmp_path):
    case = write_case(tmp_path, """
[[expect]]
order = ["ES9+.AuthenticateClient", "ES10b.AuthenticateServer"]
clause = "SGP.22 3.0.1"

[[expect]]
called = "ES10c.EnableProfile"
at_most = 0
clause = "SGP.22 3.2.1"

[[expect]]
called = "ES10c.EnableProfile"
at_least = 2
clause = "SGP.22 3.2.1"

[[expect]]
called = "ES10c.EnableProfile"
with = { "answer.enableResult" = "ok" }
clause = "SGP.22 3.2.1"
""")
    result = judge(case, EVENTS, Trace([], [], []), OK_RUN)
    details = [r.detail for r in result.results[:4]]
    assert details[0] == "ES10b.AuthenticateServer came only before ES9+.AuthenticateClient"
    assert details[1] == details[2] == "called 1 time(s)"
    assert details[3] == "called 0 time(s); ES10c.EnableProfile had answer.enableResult=5"
    assert not any(r.met for r in result.results[:4])


def test_only_informational_expectations_give_an_informational_verdict(tmp_path):
    case = write_case(tmp_path, """
[[expect]]
exit = "success"
clause = "ISO/IEC 7816-3 10.3.3"
informational = true
""")
    result = judge(case, EVENTS, Trace([], [], []), TIMED_OUT)
    assert result.verdict is Verdict.INFORMATIONAL
    assert "did not end within 20 s" in result.reason
    required = write_case(tmp_path, '[[expect]]\nexit = "failure"\nclause = "x"\n')
    assert judge(required, EVENTS, Trace([], [], []), TIMED_OUT).verdict is Verdict.FAIL


def test_a_real_download_is_judged_from_the_pcap_and_the_smdp_record(card, es10, pki_dir,
                                                                        tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "P.der").write_bytes(build_upp("8944123400000000085", "001010000000085",
                                               k=bytes(16), opc=bytes(16),
                                               include=("mf", "usim")))
    smdp = RecordingSmdp("smdp.judge.example", pki_dir, profiles)
    es10.close()
    pcap = tmp_path / "card.pcap"
    recorder = PcapTrace(pcap)
    card.observers.append(recorder)
    es10.open()
    download(es10, es9_direct(smdp), smdp.address, "P")
    card.faults.add(Rule(Match(name="ES10b.AuthenticateServer"),
                         Action(ActionKind.ERROR, code=2)))
    with pytest.raises(DownloadError):
        download(es10, es9_direct(smdp), smdp.address, "P")
    es10.close()
    recorder.close()
    trace = read_trace(pcap, card_functions(card))
    events = timeline(trace, smdp.events)
    names = [e.name for e in events]
    assert names.index("ES10b.GetEUICCChallenge") < names.index(
        "ES9+.InitiateAuthentication") < names.index("ES10b.AuthenticateServer") < \
        names.index("ES9+.AuthenticateClient")
    case = write_case(tmp_path, """
[[expect]]
order = ["ES10b.AuthenticateServer", "ES9+.AuthenticateClient", "ES10b.PrepareDownload",
         "ES9+.GetBoundProfilePackage", "ES10b.LoadBoundProfilePackage",
         { call = "ES10b.AuthenticateServer", with = { answer = "authenticateResponseError" } }]
clause = "SGP.22 3.1.3"

[[expect]]
called = "ES10b.PrepareDownload"
at_most = 1
clause = "SGP.22 3.0.1"

[[expect]]
called = "ES10b.AuthenticateServer"
with = { "answer.authenticateErrorCode" = "invalidSignature" }
clause = "SGP.22 5.7.13"
""", head='operation = "download"')
    result = judge(case, events, trace, OK_RUN)
    assert result.verdict is Verdict.PASS, result.reason
    assert result.injected == ["injected f1: error 2"]
