"""The fault plan's command lines: ``run --scenario`` refuses a bad file at once, naming the
file, the line and what is allowed (exit 1, one line); the shell's ``fault add`` turns its
arguments into a [[fault]] table (numbers where the schema has numbers)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from euicc_tools.shell.errors import UsageError
from euicc_tools.shell.faults import rule_fields
from euicc_tools.testkit.emulator_process import CardProcess
from euicc_tools.testkit.profile_builder import build_upp


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euicc_tools.emulator", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_a_bad_scenario_stops_the_card_before_it_serves(tmp_path):
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[[fault]]\nmatch = "ES10c.EnableProfile"\naction = "error"\n'
                        'code = "busy"\n')
    done = run_cli("run", "--state", str(tmp_path / "card"), "--scenario", str(scenario),
                   "--vpcd", "127.0.0.1:9")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert f"{scenario}:4: fault 1: code: 'busy' is not an error of ES10c.EnableProfile" \
        in errors[0]
    assert "catBusy" in errors[0] and "Traceback" not in done.stderr


def test_a_missing_scenario_is_said_in_words(tmp_path):
    done = run_cli("run", "--state", str(tmp_path / "card"), "--scenario",
                   str(tmp_path / "none.toml"), "--vpcd", "127.0.0.1:9")
    assert done.returncode == 1 and "cannot read it (No such file or directory)" in done.stderr


def test_fault_add_arguments_become_a_rule_table():
    assert rule_fields("ES10c.EnableProfile", "error", ["code=catBusy", "times=always"]) == {
        "action": "error", "match": "ES10c.EnableProfile", "code": "catBusy",
        "times": "always"}
    assert rule_fields("INS=A4", "status", ["sw=9000", "channel=1", "after=0x2"]) == {
        "action": "status", "ins": 0xA4, "sw": "9000", "channel": 1, "after": 2}
    assert rule_fields("X", "error", ["code=13", "times=3"])["code"] == 13
    with pytest.raises(UsageError, match="key=value expected"):
        rule_fields("X", "delay", ["ms"])
    with pytest.raises(UsageError, match="a number expected"):
        rule_fields("X", "delay", ["ms=soon"])
    with pytest.raises(UsageError, match="given twice"):
        rule_fields("X", "delay", ["ms=1", "ms=2"])


def test_a_bad_preset_names_its_line(tmp_path):
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[preset]\nmemory_full = true\n\n[[preset.profile]]\n'
                        'iccid = "8944000000000000017"\nclass = "gold"\n')
    done = run_cli("run", "--state", str(tmp_path / "card"), "--scenario", str(scenario),
                   "--vpcd", "127.0.0.1:9")
    assert done.returncode == 1
    assert (f"{scenario}:6: preset.profile 1: class: 'gold' (allowed: test, provisioning, "
            "operational)") in done.stderr


def test_a_preset_is_in_the_state_the_card_starts_with(tmp_path):
    folder = tmp_path / "case"
    (folder / "profiles").mkdir(parents=True)
    (folder / "profiles" / "p.der").write_bytes(build_upp(
        "8944000000000000017", "001010000000017", k=bytes(16), opc=bytes(16),
        include=("mf", "usim")))
    scenario = folder / "case.toml"
    scenario.write_text('[[preset.profile]]\niccid = "8944000000000000017"\n'
                        'state = "enabled"\nnickname = "preset one"\n'
                        'package = "profiles/p.der"\n'  # relative to the scenario file
                        '[[preset.notification]]\nseq = 200\nevent = "delete"\n'
                        'address = "smdp.example"\n'
                        '[preset.euicc_info2]\nfirmware = "9.9.9"\n')
    state = tmp_path / "card"
    process = CardProcess("run", "--state", str(state), "--scenario", str(scenario),
                          "--vpcd", "127.0.0.1:9")
    try:
        process.wait_for("waiting for", 60)

        def shell(*command):
            done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell",
                                   "--state", str(state), "-c", *command],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        (profile,) = shell("profiles", "--json")
        assert profile["iccid"] == "8944000000000000017"
        assert profile["nickname"] == "preset one" and profile["state"] == "enabled"
        assert shell("info", "--json")["versions"]["firmware"] == "9.9.9"
    finally:
        process.stop()
