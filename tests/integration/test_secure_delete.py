"""A deleted profile's secrets leave the disk (SGP.22 3.2.3 DeleteProfile: "the eUICC shall
delete the Profile"; 5.7.19 eUICCMemoryReset): once the answer to DeleteProfile or to an
eUICCMemoryReset that deletes profiles has left the card, no byte of those profiles' K,
OPc, PINs, PUKs or security domain keys is in any file of the state directory, raw or as
hex text - while the card runs, after ``kill -9`` right after the answer and a restart, and
after a clean stop. A kept profile's secrets are found by the same scan, so the scan can
fail."""

from __future__ import annotations

import os
import random
import signal
from dataclasses import dataclass
from pathlib import Path

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.profile_builder import (
    PIN1,
    PIN2_LOCAL,
    build_upp,
    ef_iccid,
    security_domain,
)
from tests.support.downloads import run_download
from tests.support.pcsc_clients import installed_aid, profile_action

ADM1 = 0x0A
DELETE_OPERATIONAL = (b"\x80", 1)  # EuiccMemoryResetRequest.resetOptions bit 0


@dataclass
class Secrets:
    """A built profile and every secret it carries."""

    name: str
    iccid: str
    imsi: str
    values: dict[str, bytes]

    def needles(self) -> dict[str, bytes]:
        """Each secret raw and as hex text in both cases."""
        found = {}
        for what, value in self.values.items():
            found[f"{what} raw"] = value
            found[f"{what} HEX"] = value.hex().upper().encode()
            found[f"{what} hex"] = value.hex().encode()
        return found

    def upp(self) -> bytes:
        v = self.values
        return build_upp(
            self.iccid, self.imsi, k=v["K"], opc=v["OPc"],
            pins={PIN1: v["PIN1"], ADM1: v["ADM1"], PIN2_LOCAL: v["PIN2"]},
            puks={PIN1: v["PUK1"], PIN2_LOCAL: v["PUK2"]},
            include=("mf", "usim", "isim", "df-5gs"),
            extra_elements=[security_domain(90, keys={1: v["SD ENC"], 2: v["SD MAC"],
                                                      3: v["SD DEK"]})])


def make_profile(name: str, number: int, rng: random.Random) -> Secrets:
    def digits(n: int) -> bytes:
        return "".join(rng.choice("0123456789") for _ in range(n)).encode()

    values = {"K": rng.randbytes(16), "OPc": rng.randbytes(16),
              "SD ENC": rng.randbytes(16), "SD MAC": rng.randbytes(16),
              "SD DEK": rng.randbytes(16)}
    # 8-digit PINs and PUKs: stored as they are (no 'FF' padding), unlikely elsewhere.
    values.update({what: digits(8) for what in ("PIN1", "PIN2", "ADM1", "PUK1", "PUK2")})
    return Secrets(name, f"8944900000000{number:06d}", f"0010190000{number:05d}", values)


def leaks(state: Path, profiles: list[Secrets]) -> list[str]:
    """Where any of the profiles' secrets occur under the state directory."""
    found = []
    for path in sorted(state.rglob("*")):
        if not path.is_file():
            continue  # folders, the control socket
        data = path.read_bytes()
        for profile in profiles:
            for what, needle in profile.needles().items():
                if needle in data:
                    found.append(f"{profile.name} {what} in {path.name}")
    return found


def assert_erased(state: Path, deleted: list[Secrets], kept: list[Secrets], when: str):
    assert leaks(state, deleted) == [], when
    # The same scan finds what must still be there: it is not blind. K is kept once, in
    # the secrets rows (hex in the AKA parameters' JSON), not raw in the stored elements.
    for profile in kept:
        assert any(line.startswith(f"{profile.name} K ") for line in leaks(state, [profile])), \
            when


def memory_reset(emulator) -> int:
    link = PcscLink(emulator.reader)
    try:
        with Es10Client(link) as es10:
            return es10.call("EuiccMemoryResetRequest", {"resetOptions": DELETE_OPERATIONAL},
                             "EuiccMemoryResetResponse")["resetResult"]
    finally:
        link.close()


def test_deleted_profiles_leave_no_secret_on_disk(emulator, smdp_server):
    smdp, endpoint = smdp_server
    rng = random.Random(os.urandom(8))
    a, b, c, d = (make_profile(name, n, rng) for n, name in enumerate("ABCD", start=1))
    for profile in (a, b, c, d):
        (smdp.profiles / f"{profile.name}.der").write_bytes(profile.upp())
    state = emulator.state
    aid = {}
    for profile in (a, b, c):
        assert run_download(emulator, endpoint, profile.name).ok, profile.name
        aid[profile.name] = installed_aid(emulator, ef_iccid(profile.iccid))
    assert_erased(state, [], [a, b, c], "all three installed")
    assert profile_action(emulator, "Enable", aid["C"]) == 0

    # A: deleted while C is enabled; kill -9 right after the answer.
    assert profile_action(emulator, "Delete", aid["A"]) == 0
    assert_erased(state, [a], [b, c], "A deleted, card running")
    emulator.stop(signal.SIGKILL)
    assert_erased(state, [a], [b, c], "A deleted, after kill -9")
    emulator.start()
    assert_erased(state, [a], [b, c], "A deleted, restarted")

    # B: deleted after a restart; then a clean stop.
    emulator.restart()
    assert profile_action(emulator, "Delete", aid["B"]) == 0
    assert_erased(state, [a, b], [c], "B deleted, card running")
    emulator.stop()
    assert_erased(state, [a, b], [c], "B deleted, clean stop")

    # C (enabled) and D: deleted by eUICCMemoryReset.
    emulator.start()
    assert run_download(emulator, endpoint, d.name).ok
    assert memory_reset(emulator) == 0  # ok
    assert_erased(state, [a, b, c, d], [], "memory reset, card running")
    emulator.stop(signal.SIGKILL)
    assert_erased(state, [a, b, c, d], [], "memory reset, after kill -9")
    emulator.start()
    assert_erased(state, [a, b, c, d], [], "memory reset, restarted")
    emulator.stop()
    assert_erased(state, [a, b, c, d], [], "memory reset, clean stop")
