"""The interactive shell in a pseudo-terminal, reading the state of a running card."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from contextlib import contextmanager

from emulator import Emulator
from test_download_pcsc import run_download, smdp_server  # noqa: F401  (fixture)

from tools.lpa.es10 import Es10Client
from tools.lpa.link import PcscLink


def read_until(fd: int, needle: bytes, timeout: float = 20.0) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out:
        assert time.monotonic() < deadline, out.decode(errors="replace")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


@contextmanager
def shell_in_pty(state):
    """`euicc-emu shell --state STATE` on a pseudo-terminal; yields its controller side and
    checks the shell ends with 0 after `quit`."""
    controller, terminal = pty.openpty()
    shell = subprocess.Popen([sys.executable, "-m", "euicc.cli", "shell", "--state",
                              str(state)], stdin=terminal, stdout=terminal,
                             stderr=terminal, close_fds=True)
    os.close(terminal)
    try:
        read_until(controller, b"euicc>")
        yield controller
        os.write(controller, b"quit\r")
        assert shell.wait(10) == 0
    finally:
        if shell.poll() is None:
            shell.kill()
        os.close(controller)


def test_shell_beside_a_running_card(pcscd, tmp_path):
    emulator = Emulator(tmp_path / "card").start()
    try:
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            eid = es10.get_eid()
            es10.call("SetDefaultDpAddressRequest", {"defaultDpAddress": "pty.example"},
                      "SetDefaultDpAddressResponse")
        link.close()
        with shell_in_pty(emulator.state) as controller:
            os.write(controller, b"info\r")
            out = read_until(controller, b"pty.example")
            assert eid.encode() in out
            os.write(controller, b"help profiles\r")
            read_until(controller, b"ICCID, ISD-P AID")
    finally:
        emulator.stop()


def test_shell_walks_the_enabled_profile(emulator, smdp_server, tmp_path):  # noqa: F811
    from pe_builder import ef_iccid
    from test_usim_pcsc import installed_aid, profile_action

    _, endpoint = smdp_server
    assert run_download(emulator, endpoint, "BUILT").ok
    assert profile_action(emulator, "Enable",
                          installed_aid(emulator, ef_iccid("89441234000000000334"))) == 0
    with shell_in_pty(emulator.state) as controller:
        os.write(controller, b"tree\r")
        read_until(controller, b"EF.IMSI 9 B SFI 07")
        os.write(controller, b"read EF.IMS\t")  # completion from the enabled profile's files
        read_until(controller, b"EF.IMSI")
        os.write(controller, b"\r")
        read_until(controller, b"001010000000334")
        os.write(controller, b"keys --profile 89441234000000000334\r")
        out = read_until(controller, b"TOPc")
        assert bytes(range(32)).hex().upper().encode() not in out
