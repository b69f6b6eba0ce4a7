"""The conformance catalogue as data (tools/conformance/case.py, issue 12.3): the shipped
cases read, cover the groups the issue names, and are scenarios the card itself accepts
(their [[fault]] rules against the card's own catalogue, their presets); a case file that
cannot work is refused with the file, the line and what is allowed. Adapters
(tools/conformance/adapter.py) build command lines from data."""

from __future__ import annotations

from collections import Counter

import pytest

from euicc.faults import read_scenario
from euicc_applets.isd_r.presets import parse_preset
from euicc_tools.conformance.adapter import AdapterError, load_adapter
from euicc_tools.conformance.case import (
    CASE_SECTIONS,
    OPERATIONS,
    CaseError,
    read_case,
    read_catalogue,
)
from euicc_tools.emulator.card import fault_catalog

CATALOGUE = read_catalogue()


def test_the_catalogue_has_the_groups_and_size_the_issue_asks_for():
    groups = Counter(c.group for c in CATALOGUE)
    assert len(CATALOGUE) >= 40
    assert set(groups) == {"transport", "management", "download", "notifications", "policy",
                           "slow-removed", "iot"}
    functions = {call.name for c in CATALOGUE for x in c.expectations for call in x.calls}
    for name in ("ES10c.EnableProfile", "ES10c.DisableProfile", "ES10c.DeleteProfile",
                 "ES10c.SetNickname", "ES10a.SetDefaultDpAddress", "ES10c.eUICCMemoryReset",
                 "ES10b.RemoveNotificationFromList", "ES9+.AuthenticateClient",
                 "ES9+.GetBoundProfilePackage", "ES9+.HandleNotification",
                 "ES9+.CancelSession", "ES10b.CancelSession"):
        assert name in functions, name
    assert all(x.clause for c in CATALOGUE for x in c.expectations)


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
def test_every_case_is_a_scenario_the_card_accepts(case, card, store, credentials, tmp_path):
    """Its card's: the case's personality (an IoT eUICC's faults name SGP.32 functions)."""
    if case.personality is not None:
        from euicc_tools.emulator.card import build_card
        from euicc_tools.personalities import load_personality

        card = build_card(store, credentials, personality=load_personality(case.personality))
    path = tmp_path / "scenario.toml"
    path.write_text(case.scenario_text("127.0.0.1:8443"), encoding="utf-8")
    scenario = read_scenario(path, ("preset",), CASE_SECTIONS)
    scenario.rules(fault_catalog(card))
    if "preset" in scenario.sections:
        parse_preset(scenario.sections["preset"])


def write(tmp_path, text: str):
    path = tmp_path / "g" / "bad.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD_EXPECT = '[[expect]]\nexit = "success"\nclause = "SGP.22 3.3.1"\n'


@pytest.mark.parametrize(("text", "message"), [
    ('[case]\noperation = "info"\ncolour = 1\n' + GOOD_EXPECT,
     ":3: case: colour: unknown key (allowed: id, title, operation"),
    ('[case]\noperation = "reboot"\n' + GOOD_EXPECT,
     ":2: case: operation: 'reboot' is not an operation (allowed: info, list, download"),
    ('[case]\noperation = "enable"\n' + GOOD_EXPECT, ":1: case: args: enable needs iccid"),
    ('[case]\noperation = "list"\nargs = { iccid = "1" }\n' + GOOD_EXPECT,
     ":3: case: args: iccid: not an argument of list (its arguments: none)"),
    ('[case]\noperation = "info"\n\n[[expect]]\nexit = "success"\n',
     ":4: expect: clause: every expectation names the clause that requires it"),
    ('[case]\noperation = "info"\n\n[[expect]]\ncalled = "GetEID"\nclause = "x"\n',
     ":5: expect: called: 'GetEID': an ES10 or ES9+ function by its SGP.22 name"),
    ('[case]\noperation = "info"\n\n[[expect]]\nexit = "crash"\nclause = "x"\n',
     ":5: expect: exit: 'crash' (allowed: success, failure)"),
    ('[case]\noperation = "info"\n\n[[expect]]\nexit = "success"\ncalled = "ES10c.GetEID"\n'
     'clause = "x"\n', "exactly one of called, not_called, order, exit per expectation"),
    ('[case]\noperation = "info"\n\n[[expect]]\nnot_called = "ES10c.GetEID"\nat_most = 2\n'
     'clause = "x"\n', ":6: expect: at_most: only with called"),
    ('[case]\noperation = "info"\n\n' + GOOD_EXPECT + '\n[[expect]]\norder = ["ES10c.GetEID"]\n'
     'clause = "x"\n', ":9: expect: order: a list of at least two calls"),
    ('[case]\noperation = "info"\n', "a case needs at least one [[expect]] table"),
    ('[case]\noperation = "info"\n[extra]\n' + GOOD_EXPECT,
     ":3: extra: unknown section (allowed: case, expect, preset, fault)"),
    ('[case]\noperation = "info"\ntimeout = 0\n' + GOOD_EXPECT,
     ":3: case: timeout: seconds, more than 0 and at most 600"),
    ('[case]\noperation = "info"\npersonality = "nokia"\n' + GOOD_EXPECT,
     ":3: case: personality: 'nokia': a built-in personality (allowed: "),
])
def test_a_case_that_cannot_work_is_refused_with_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CaseError) as refused:
        read_case(path, "g")
    assert str(refused.value).startswith(str(path))
    assert message in str(refused.value)


def test_case_placeholders_keep_the_lines_where_they_were(tmp_path):
    path = write(tmp_path, '[case]\noperation = "notifications-process"\n\n'
                           '[[preset.notification]]\nseq = 1\nevent = "enable"\n'
                           'address = "{smdp}"\n\n' + GOOD_EXPECT)
    case = read_case(path, "g")
    assert case.needs_smdp
    text = case.scenario_text("127.0.0.1:4444")
    assert text.splitlines()[6] == 'address = "127.0.0.1:4444"'
    assert len(text.splitlines()) == len(case.text.splitlines())


def test_the_built_in_adapters_cover_every_operation():
    for name in ("lpac", "euicc-lpa"):
        adapter = load_adapter(name)
        assert set(adapter.operations) == set(OPERATIONS), name


def test_an_adapter_fills_placeholders_and_optional_groups():
    lpac = load_adapter("lpac")
    values = {"reader": "Virtual PCD 00 01", "smdp": "127.0.0.1:9", "matching_id": "M"}
    assert lpac.argv("download", values) == ["lpac", "profile", "download", "-s",
                                             "127.0.0.1:9", "-m", "M"]
    assert lpac.argv("download", {**values, "confirmation_code": "12"})[-2:] == ["-c", "12"]
    assert lpac.environment(values)["LPAC_APDU_PCSC_DRV_NAME"] == "Virtual PCD 00 01"
    assert lpac.with_program("/opt/lpac").argv("info", values)[0] == "/opt/lpac"
    assert lpac.unsupported("download", {"reject": "postponed"}) == \
        "adapter lpac has no way to pass reject to download"
    assert load_adapter("euicc-lpa").unsupported("download", {"reject": "postponed"}) is None


@pytest.mark.parametrize(("text", "message"), [
    ('[adapter]\ncommand = []\n', "adapter.command: a non-empty list of words"),
    ('[adapter]\ncommand = ["x"]\nshell = true\n', "adapter.shell: unknown key"),
    ('[adapter]\ncommand = ["x"]\n[operations]\nflash = ["f"]\n',
     "operations.flash: not an operation"),
    ('[adapter]\ncommand = ["x"]\n[operations]\ninfo = "chip info"\n',
     "operations.info: a list of words"),
])
def test_a_bad_adapter_file_is_refused(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AdapterError, match=message):
        load_adapter(str(path))
    with pytest.raises(AdapterError, match="not a built-in adapter"):
        load_adapter("no-such-lpa")
