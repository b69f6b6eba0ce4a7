"""`euicc-emu personality capture` through the real pcscd (issue 13.4): a card started
with a built-in personality is captured by the CLI into a file, stopped, and a card started
with that file answers every APDU of a capture byte for byte as the first did: the ATR
(ISO/IEC 7816-3 8.2), SELECT ISD-R at each probed AID (SGP.22 2.2.1), MANAGE CHANNEL (TS
102 221 11.1.17) and the STORE DATA / GET RESPONSE exchanges of ES10c.GetEID, ES10b
GetEUICCInfo1/2, ES10a.GetEuiccConfiguredAddresses, ES10b.GetRAT and ES10c.GetProfilesInfo
without and with a tagList (SGP.22 5.7.20, 5.7.8, 5.7.3, 5.7.16, 5.7.15). And the CLI's
errors: one line, status 1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from euicc_tools.lpa.link import ApduLink, PcscLink
from euicc_tools.personalities import load_personality
from euicc_tools.personalities.capture import ES10_READS, capture
from euicc_tools.testkit.emulator_process import CLI_MODULE, Emulator

pytestmark = pytest.mark.integration


class Transcript(ApduLink):
    """A link that keeps every exchange, (C-APDU, R-APDU data, SW), in order."""

    def __init__(self, link: ApduLink) -> None:
        self.link = link
        self.exchanges: list[tuple[bytes, bytes, int]] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self.link.transmit(apdu)
        self.exchanges.append((apdu, data, sw))
        return data, sw


def read(reader: str):
    """A capture of the card in ``reader`` and the APDUs it took, as lpac connects."""
    link = PcscLink(reader)
    try:
        transcript = Transcript(link)
        return capture(transcript, link.atr, reader), transcript.exchanges
    finally:
        link.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", CLI_MODULE, *args], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("name", ["generic", "sysmoEUICC1-C2T", "5ber"])
def test_a_captured_card_answers_byte_for_byte(pcscd, tmp_path, name):
    path = tmp_path / "files" / f"{name}-captured.toml"
    path.parent.mkdir()
    first = Emulator(tmp_path / "first", extra=["--personality", name]).start()
    try:
        done = cli("personality", "capture", "--reader", first.reader, str(path))
        assert done.returncode == 0, done.stderr
        assert "byte-identically" in done.stdout
        original, original_apdus = read(first.reader)
    finally:
        first.stop()
    assert load_personality(str(path)).warnings == ()
    second = Emulator(tmp_path / "second", extra=["--personality", str(path)]).start()
    try:
        again, again_apdus = read(second.reader)
    finally:
        second.stop()
    assert set(original.answers) == {"ATR", "SELECT ISD-R", *(r[0] for r in ES10_READS)}
    for function, answer in original.answers.items():
        assert again.answers[function] == answer, function
    assert (again.isd_r_aid, again.answering_aids, again.logical_channels) == (
        original.isd_r_aid, original.answering_aids, original.logical_channels)
    assert len(again_apdus) == len(original_apdus)
    for number, (exchange, expected) in enumerate(zip(again_apdus, original_apdus,
                                                      strict=True)):
        assert exchange == expected, f"APDU {number}: {expected[0].hex()}"


def test_cli_errors_are_one_line(pcscd, tmp_path):
    target = tmp_path / "x.toml"
    empty = next((r for r in pcscd if r.endswith("01")), pcscd[-1])  # no card started there
    for reader, says in (("99", "no PC/SC reader 99 (readers: 0: "),
                         ("no-such-reader", "no PC/SC reader name contains 'no-such-reader'"),
                         (empty, f"cannot connect to the card in {empty!r}")):
        done = cli("personality", "capture", "--reader", reader, str(target))
        assert done.returncode == 1, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert says in line and "ERROR" in line
    assert not target.exists()


def test_reader_by_number_and_force(pcscd, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("mine")
    card = Emulator(tmp_path / "card").start()
    try:
        from smartcard.System import readers

        number = str([str(r) for r in readers()].index(card.reader))  # as the CLI counts
        refused = cli("personality", "capture", "--reader", number, str(path))
        assert refused.returncode == 1 and "exists (--force" in refused.stderr
        done = cli("personality", "capture", "--reader", number, "--force", str(path))
        assert done.returncode == 0, done.stderr
    finally:
        card.stop()
    assert load_personality(str(path)).name == "c"
