"""`euicc-emu shell -c` as scripts use it, through the real process: exit status 0 only on
success (1 a failure, 2 a usage error), errors as ``{"ok": false, "error": ...}`` on stdout
with ``--json``, no cmd2 hints; help grouped with one-line descriptions; result names
spelled as in SGP.22's ASN.1 (5.7.16-5.7.21); EF.IMSI with MCC and MNC (TS 31.102 4.2.2,
the MNC length from EF.AD 4.2.18); completion of profile identifiers and file paths at
every level; the card's trace ring buffer behind ``log --count``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.shell_state import ISDP_AID

ICCID = "8944000000000000077"
NOISE = ("set debug true", "Traceback", "To enable full traceback")


def shell(state, command: str, *options: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                           str(state), *options, "-c", command], capture_output=True,
                          text=True, timeout=120)
    for noise in NOISE:
        assert noise not in done.stdout + done.stderr
    return done.returncode, done.stdout, done.stderr


def json_error(out: str) -> str:
    answer = json.loads(out)
    assert answer["ok"] is False and isinstance(answer["error"], str)
    return answer["error"]


@pytest.fixture
def interpreted(store):
    """An enabled profile whose USIM has a 3-digit MNC (EF.AD byte 4 = 3); no PKI in the
    state, no card running."""
    from tests.support.shell_state import interpreted_state

    return interpreted_state(store, ICCID, "310410123456789", mnc_length=3, name="Scripting")


def test_success_is_zero_and_json(interpreted):
    code, out, err = shell(interpreted, "profiles", "--json")
    assert code == 0 and json.loads(out)[0]["iccid"] == ICCID and err == ""
    code, out, _ = shell(interpreted, "profiles --json")  # the command's own --json
    assert code == 0 and json.loads(out)[0]["name"] == "Scripting"


def test_imsi_shows_mcc_and_the_mnc_length_ef_ad_gives(interpreted):
    code, out, _ = shell(interpreted, "read EF.IMSI", "--json")
    decoded = json.loads(out)["decoded"]
    assert code == 0
    assert (decoded["mcc"], decoded["mnc"], decoded["mncLength"], decoded["msin"]) == \
        ("310", "410", 3, "123456789")
    code, out, _ = shell(interpreted, "read ADF.USIM/EF.IMSI")
    assert code == 0 and "mnc        410" in out and "mcc        310" in out


FAILURES = [
    ("bogus", 2, "unknown command 'bogus'"),
    ("tree --bogus", 2, "unrecognized arguments: --bogus"),
    ("log --count 0", 2, "N is a number from 1 to 1000"),
    ("history --bogus", 2, "history: usage error"),  # a cmd2 built-in's
    ("profile 8944000000000000099", 1, "no profile 8944000000000000099"),
    ("read EF.NOPE", 1, "no file EF.NOPE"),
    ("info", 1, "give the PKI the card runs with"),  # the state has no pki/
    ("enable " + ICCID, 1, "no running card for"),
    # SGP.22 5.7.21: profileNickname UTF8String (SIZE(0..64)), checked before the card
    ("nickname " + ICCID + " " + "n" * 65, 1, "has 65 characters; SGP.22 profileNickname is "
                                             "UTF8String (SIZE(0..64))"),
]


@pytest.mark.parametrize(("ad", "length"), [
    ("00000002", 2), ("00000003", 3), ("000000F3", 3),  # b5-b8 of byte 4 are RFU
    ("000000", None), ("00000004", None), ("", None)])  # no byte 4, RFU value: unknown
def test_mnc_length_is_byte_4_of_ef_ad(ad, length):
    """TS 31.102 4.2.18: byte 4 b1-b4 of EF.AD, '2' or '3' MNC digits."""
    from euicc_tools.shell.decode_usim import mnc_length

    assert mnc_length(bytes.fromhex(ad)) == length


@pytest.mark.parametrize(("command", "status", "words"), FAILURES)
def test_failures_are_non_zero_and_json_on_stdout(interpreted, command, status, words):
    code, out, _ = shell(interpreted, command, "--json")
    assert code == status and words in json_error(out)


@pytest.mark.parametrize(("command", "status", "words"),
                         [f for f in FAILURES if f[0].split()[0] in ("bogus", "profile", "info")])
def test_failures_as_text_go_to_stderr(interpreted, command, status, words):
    code, out, err = shell(interpreted, command)
    assert code == status and words in err and out == ""


def test_missing_state_and_empty_command(tmp_path):
    code, out, err = shell(tmp_path / "nothing", "profiles", "--json")
    assert code == 1 and "no card state in" in json_error(out)
    code, _, err = shell(tmp_path / "nothing", "  ")
    assert code == 2 and "-c needs a command" in err


def test_help_groups_the_card_commands_apart_from_cmd2s(interpreted):
    from euicc_tools.shell.app import BUILT_IN, RUNNING, STATE, CardShell, one_line

    code, out, _ = shell(interpreted, "help")
    assert code == 0
    lines = out.splitlines()
    groups = [lines.index(title) for title in (STATE, RUNNING, BUILT_IN)]
    assert groups == sorted(groups)
    section = {title: lines[start:end] for title, start, end in
               zip((STATE, RUNNING, BUILT_IN), groups, [*groups[1:], len(lines)], strict=True)}
    listed = {}
    for title, body in section.items():
        for line in body:
            if line.startswith("  "):
                name, description = line.split(None, 1)
                listed[name] = (title, description)
    everything = CardShell(interpreted)
    assert set(listed) == set(everything.get_visible_commands())  # -c help lists them all
    assert listed["read"] == (STATE, "One file of a profile: FCP fields, content, and the "
                                     "content decoded.")
    assert listed["enable"] == (RUNNING, "ES10c.EnableProfile on the running card.")
    assert listed["history"][0] == BUILT_IN and listed["quit"][0] == BUILT_IN
    for name, (_, description) in listed.items():
        assert description == one_line(everything.get_command_func(name).__doc__) != ""


def test_result_names_are_sgp22s():
    """SGP.22 5.7.16-5.7.19, 5.7.21: the ES10c result codes by their ASN.1 names."""
    from euicc_tools.lpa.management import nickname_limit, result_name

    assert result_name("enable", 1) == "iccidOrAidNotFound"
    assert result_name("enable", 2) == "profileNotInDisabledState"
    assert result_name("disable", 2) == "profileNotInEnabledState"
    assert result_name("delete", 3) == "disallowedByPolicy"
    assert result_name("memory_reset", 1) == "nothingToDelete"
    assert result_name("nickname", 1) == "iccidNotFound"
    assert result_name("enable", 127) == "undefinedError"
    assert result_name("disable", 4) == "4"  # a number SGP.22 does not name stays a number
    assert nickname_limit() == 64


def test_completion_of_profiles_and_paths_at_every_level(interpreted):
    from euicc_tools.shell.app import CardShell

    shell_ = CardShell(interpreted)

    def complete(line: str) -> tuple[list[str], bool]:
        text = line.rsplit(" ", 1)[-1]
        found = shell_.complete(text, line, len(line) - len(text), len(line))
        return [item.text for item in found.items], found.allow_finalization

    aid = ISDP_AID.hex().upper()
    for command in ("profile", "tree", "enable", "disable", "delete", "nickname",
                    "keys --profile", "read --profile"):
        assert complete(f"{command} 89")[0] == [ICCID]
        assert aid in complete(f"{command} ")[0]
    assert complete("read EF.IMS") == (["EF.IMSI"], True)
    assert complete("read ADF.U") == (["ADF.USIM/"], False)  # a DF: no space, go on below
    assert complete("read adf.i") == (["ADF.ISIM/"], False)
    assert complete("read ADF.ISIM/EF.IMP")[0] == ["ADF.ISIM/EF.IMPI", "ADF.ISIM/EF.IMPU"]
    below_mf, _ = complete("read 3F00/7F")
    assert below_mf and all(p.startswith("3F00/7F") and p.endswith("/") for p in below_mf)
    usim = next(p for p in below_mf
                if "EF.IMSI" in complete(f"read {p}EF.IM")[0][0])  # ADF.USIM by its FID
    assert complete(f"read {usim}6F0")[0].count(f"{usim}6F07") == 1
    assert complete("read 3F00/2FE2/") == ([], True)  # an EF has nothing below it
    assert complete("read --profile 8944000000000000099 EF.IMS") == ([], True)


def test_recent_exchanges_keep_names_and_status_words_only(card, tmp_path):
    """The control socket's ring buffer (``log --count N``): the last N exchanges, oldest
    first, at most its capacity; no command or response data."""
    from euicc.control import ControlServer
    from euicc.trace import RecentExchanges
    from euicc_tools.shell import actions

    control = ControlServer(card, tmp_path)
    try:
        secret = bytes.fromhex("3132333435FFFFFF")
        card.transmit(bytes.fromhex("00200001") + bytes([len(secret)]) + secret)  # VERIFY
        card.transmit(bytes.fromhex("00A4040010A0000005591010FFFFFFFF8900000100"))
        card.transmit(bytes.fromhex("80F20000"))
        events = actions.recent(tmp_path, 2)
        assert [(e["name"], e["in"]) for e in events] == [("SELECT", 21), ("STATUS", 4)]
        assert all(e["sw"] and e["channel"] == 0 for e in events)
        everything = actions.recent(tmp_path, 1000)
        assert [e["name"] for e in everything][0] == "VERIFY PIN"
        assert secret.hex().upper() not in json.dumps(everything).upper()
        for _ in range(RecentExchanges.CAPACITY + 5):
            card.transmit(bytes.fromhex("80F20000"))
        assert len(actions.recent(tmp_path, RecentExchanges.CAPACITY)) == \
            RecentExchanges.CAPACITY
        with pytest.raises(actions.ShellError, match="count must be an integer"):
            actions.recent(tmp_path, RecentExchanges.CAPACITY + 1)
    finally:
        control.close()
