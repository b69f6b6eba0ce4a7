"""The interactive shell in a pseudo-terminal, reading the state of a running card."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from contextlib import contextmanager

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.downloads import run_download


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
    shell = subprocess.Popen([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
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


def test_shell_walks_the_enabled_profile(emulator, smdp_server, tmp_path):
    from euicc_tools.testkit.profile_builder import ef_iccid
    from tests.support.pcsc_clients import installed_aid, profile_action

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


def test_completion_at_every_level_and_json_interactively(tmp_path):
    """Tab completes ICCIDs for the profile commands and paths level by level (a DF without
    the trailing space, so the path goes on); `profiles --json` works at the prompt. Only
    the state directory is used: no card, no pcscd."""
    from euicc.store import CardStore
    from euicc_tools.shell import files
    from tests.support.shell_state import interpreted_state

    store = CardStore(tmp_path / "card")
    state = interpreted_state(store, "8944000000000000088", "310410123456788", mnc_length=3)
    tree = files.load_tree(store, files.pick_profile(store, None))
    usim = f"{files.find(tree, 'ADF.USIM').fid:04X}"
    store.close()
    fid = usim.encode()
    with shell_in_pty(state) as controller:
        # (what is typed, what then shows): completion runs beside the typing, so each Tab
        # waits for what it inserts (or the menu it opens) before Enter or Ctrl-U follows.
        for keys, answer in [
            (b"tree 8944\t", b"0000000088"), (b"\r", b"EF.IMSI 9 B SFI 07"),
            (b"keys --profile 89\t", b"0000000088"), (b"\r", b"K (MILENAGE)"),
            (b"read ADF.U\t", b"SIM/"), (b"EF.IMSI\r", b"mnc        410"),  # no space after /
            (b"read ADF.ISIM/EF.DOM\t", b"AIN"), (b"\r", b"ims.mnc410.mcc310.3gppnetwork"),
            (b"read 3F00/" + fid[:3] + b"\t", b" " + fid + b"/ "),  # the menu of MF's DFs
            (b"\x15read 3F00/" + fid + b"/6F0\t", b" 6F07 "),  # and of the ADF's EFs
            (b"\x15profiles --json\r", b'"isdpAid": "A0000005591010FFFFFFFF8900001000"'),
        ]:
            os.write(controller, keys)
            read_until(controller, answer)
