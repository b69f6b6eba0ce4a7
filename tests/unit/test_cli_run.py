"""`euicc-emu run` as a real process tells the truth about its state: start-up failures exit
at once with one line naming the card; bad option values are refused in words; a vpcd that
refuses the connection is explained; several cards write the pcap files the help names; a
clean stop leaves one database file. (No pcscd needed: vpcd is absent or a local socket.)"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from euicc_tools.testkit.emulator_process import CardProcess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euicc_tools.emulator", *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_listen_on_a_port_in_use_exits_at_once(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = run_cli("run", "--state", str(tmp_path / "s"), "--listen", f"127.0.0.1:{port}")
    assert time.monotonic() - started < 20
    line = one_line_error(done)
    assert f"card 0 ({tmp_path / 's'})" in line
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in line


def test_failure_of_a_later_card_names_that_card(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    done = run_cli("run", "--state", str(tmp_path / "a"), "--state", str(tmp_path / "file"),
                   "--vpcd", f"127.0.0.1:{free_port()}")
    line = one_line_error(done)
    assert f"card 1 ({tmp_path / 'file'}): --state {tmp_path / 'file'} is a file" in line


@pytest.mark.parametrize("option, value, message", [
    ("--slot", "16", "'16' is not a vpcd slot (0..15)"),
    ("--slot", "-1", "'-1' is not a vpcd slot (0..15)"),
    ("--vpcd", "localhost:vpcd", "the port must be a number from 1 to 65535"),
    ("--listen", "127.0.0.1:70000", "the port must be a number from 1 to 65535"),
    ("--spin-us", "10001", "'10001': microseconds from 0 to 10000"),
    ("--spin-us", "-5", "'-5': microseconds from 0 to 10000"),
])
def test_option_values_are_checked(tmp_path, option, value, message):
    done = run_cli("run", "--state", str(tmp_path / "s"), f"{option}={value}")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "s").exists()


def test_pki_that_is_missing_or_a_file_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    for pki, problem in ((tmp_path / "missing", "does not exist"),
                         (tmp_path / "file", "is a file, not a folder")):
        done = run_cli("run", "--state", str(tmp_path / "s"), "--pki", str(pki),
                       "--vpcd", f"127.0.0.1:{free_port()}")
        assert f"--pki {pki} {problem}" in one_line_error(done)


def test_refused_vpcd_is_explained_and_retried_then_clean_stop_leaves_one_file(tmp_path):
    state = tmp_path / "s"
    card = CardProcess("run", "--state", str(state), "--vpcd", f"127.0.0.1:{free_port()}")
    line = card.wait_for("connection refused")
    assert "pcscd with the vsmartcard vpcd driver is probably not running" in line
    assert "tools/setup.sh" in line and "retrying" in line
    time.sleep(1.2)  # still up, retrying, said once
    assert card.process.poll() is None
    assert sum("connection refused" in line for line in card.lines) == 1
    assert (state / "card.sqlite3-wal").exists()  # a running card writes through its WAL
    assert card.stop() == 0
    assert sorted(p.name for p in state.iterdir() if p.name.startswith("card.sqlite3")) == [
        "card.sqlite3"]


def test_several_cards_write_the_pcap_files_the_help_names(tmp_path):
    help_text = run_cli("run", "--help").stdout
    assert "trace-0.pcap, trace-1.pcap" in " ".join(help_text.split())
    card = CardProcess("run", "--state", str(tmp_path / "a"), "--state", str(tmp_path / "b"),
                   "--vpcd", f"127.0.0.1:{free_port()}", "--pcap", str(tmp_path / "trace.pcap"))
    card.wait_for("connection refused")
    assert card.stop() == 0
    assert sorted(p.name for p in tmp_path.glob("*.pcap")) == ["trace-0.pcap", "trace-1.pcap"]


@pytest.mark.parametrize("argv, spins", [
    (["--state", "a"], [300]),
    (["--state", "a", "--state", "b"], [0, 0]),
    (["--state", "a", "--state", "b", "--spin-us", "50"], [50, 50]),
    (["--state", "a", "--listen", "127.0.0.1:9000", "--spin-us", "0"], [0]),
])
def test_poll_after_each_answer_defaults_to_one_card_only(argv, spins):
    """euicc.transport.vpcd._await_next: one card polls 300 us after each answer by default;
    the cards of one process share its interpreter, so several poll only when told to."""
    from euicc_tools.emulator.cli import _transports, build_parser

    args = build_parser().parse_args(["run", *argv])
    assert [t.spin_us for t in _transports(args)] == spins
