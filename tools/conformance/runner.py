"""Running conformance cases: for each case a fresh card state, the project's card started
on a free vpcd slot of the real pcscd (``euicc-emu run --scenario`` with the case file, so
the card applies the case's preset and fault plan itself, ``--pcap`` for the trace), the
test SM-DP+ over HTTPS with the run's PKI where the case needs it (recording each ES9+ call,
:mod:`.es9_log`), the LPA run through its adapter with the case's timeout, then the judging
(:mod:`.judge`) and the clean-up.

One PKI (``euicc-emu pki init``) and the SM-DP+'s profile packages (the project's own
profile builder) are made once per run, in the run's work folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from euicc.asn1 import rsp, sgp32
from euicc.pki import generate_test_pki
from euicc_tools.personalities import load_personality
from euicc_tools.smdp.server import serve
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp

from .adapter import Adapter
from .case import Case
from .es9_log import RecordingSmdp
from .judge import CaseResult, LpaRun, Verdict, judge, timeline
from .trace import Trace, es10_table, read_trace

VPCD_READER = re.compile(r"Virtual PCD 00 (\d\d)$")
SMDP_HOST = "127.0.0.1"
# The SM-DP+'s profile (SGP.22 2.5: an Unprotected Profile Package): MF, USIM and ISIM with
# MILENAGE keys, DF.5GS, an MNO-SD: 1.8 kB, two LoadProfileElements segments, so a case can
# break the second; the ICCID is the one a case's expectations may name.
PROFILE_ICCID = "8944123400000000011"
PROFILE_IMSI = "001010000000011"
OUTPUT_LIMIT = 64 * 1024  # of the LPA's stdout and stderr kept in a report


class RunnerError(RuntimeError):
    """The runner cannot run at all (no free reader, no PKI)."""


def free_slot() -> int:
    """The first vpcd reader of pcscd with no card in it (SGP.22 says nothing here: a card
    of the user's own in a reader is left alone)."""
    from smartcard.Exceptions import NoCardException
    from smartcard.System import readers

    try:
        found = readers()
    except Exception as exc:  # pcscd not running: pyscard raises its own errors
        raise RunnerError(f"no PC/SC service ({exc}); start pcscd: tools/setup.sh") from None
    for reader in found:
        slot = VPCD_READER.search(str(reader))
        if slot is None:
            continue
        connection = reader.createConnection()
        try:
            connection.connect()
        except NoCardException:
            return int(slot.group(1))
        except Exception:
            continue  # a card another program holds
        connection.disconnect()
    raise RunnerError("no free vpcd reader (Virtual PCD 00 NN without a card): stop the "
                      "cards in them, or give more readers to vpcd")


class Runner:
    def __init__(self, adapter: Adapter, work: Path | None = None, keep: bool = False,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self.adapter = adapter
        self.keep = keep
        self.progress = progress
        self._own_work = work is None
        self.work = Path(tempfile.mkdtemp(prefix="euicc-conformance-")) if work is None \
            else work
        self.work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.pki = self.work / "pki"
        if not (self.pki / "CertificateIssuer").is_dir():
            generate_test_pki(self.pki, smdp_address=SMDP_HOST)
        self.profiles = self.work / "profiles"
        self.profiles.mkdir(exist_ok=True)
        self.functions = es10_table(self.pki)
        self._tables: dict[str, tuple[dict, object]] = {}  # personality: its card's table
        self.setup_seconds = time.perf_counter() - started

    def _functions(self, case: Case) -> tuple[dict, object]:
        """The ES10 table of the case's card and the module its types are in (an IoT
        eUICC's: SGP.32's, with the SGP.22 types it imports)."""
        if case.personality is None:
            return self.functions, rsp
        if case.personality not in self._tables:
            iot = load_personality(case.personality).sgp32 is not None
            self._tables[case.personality] = (es10_table(self.pki, case.personality),
                                              sgp32 if iot else rsp)
        return self._tables[case.personality]

    def close(self) -> None:
        if self._own_work and not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    def run(self, case: Case) -> CaseResult:
        reason = case.not_applicable.get(self.adapter.name) or self.adapter.unsupported(
            case.operation, case.args)
        if reason:
            return CaseResult(case, Verdict.NOT_APPLICABLE, reason)
        folder = self.work / "cases" / case.id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            return self._run(case, folder)
        finally:
            if not self.keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _run(self, case: Case, folder: Path) -> CaseResult:
        timings: dict[str, float] = {}
        mark = time.perf_counter()
        smdp, httpd = None, None
        address = f"{SMDP_HOST}:0"
        if case.needs_smdp:
            smdp, httpd = self._start_smdp(case)
            address = smdp.address
        timings["smdp_start"] = time.perf_counter() - mark
        scenario = folder / "scenario.toml"
        scenario.write_text(case.scenario_text(address), encoding="utf-8")
        pcap = folder / "trace.pcap"
        mark = time.perf_counter()
        card = None
        try:
            persona = [] if case.personality is None else ["--personality", case.personality]
            card = Emulator(folder / "state", free_slot(), extra=[
                "--pki", str(self.pki), "--scenario", str(scenario), "--pcap", str(pcap),
                *persona])
            card.start()
        except Exception as exc:
            if httpd is not None:
                httpd.shutdown()
            log = "\n".join(card.log[-20:]) if card is not None else ""
            return CaseResult(case, Verdict.ERROR, f"the card did not start: {exc}\n{log}")
        timings["card_start"] = time.perf_counter() - mark
        try:
            lpa = self._run_lpa(case, card.reader, address)
        finally:
            card.stop()
            if httpd is not None:
                httpd.shutdown()
                httpd.server_close()
        timings["lpa"] = lpa.seconds
        mark = time.perf_counter()
        functions, spec = self._functions(case)
        trace = read_trace(pcap, functions, spec) if pcap.exists() else Trace([], [], [])
        result = judge(case, timeline(trace, smdp.events if smdp else []), trace, lpa)
        timings["judge"] = time.perf_counter() - mark
        result.timings = timings
        return result

    def _start_smdp(self, case: Case):
        package = self.profiles / f"{case.matching_id}.der"
        if not package.exists():
            package.write_bytes(build_upp(PROFILE_ICCID, PROFILE_IMSI, k=bytes(range(16)),
                                          opc=bytes(16)))
        codes = {case.matching_id: case.smdp["confirmation_code"]} \
            if "confirmation_code" in case.smdp else {}
        smdp = RecordingSmdp(SMDP_HOST, self.pki, self.profiles, confirmation_codes=codes)
        httpd = serve(smdp, SMDP_HOST, 0)
        # the address the LPA and the card's notifications use names the port: the SM-DP+
        # takes its own address in that form (SGP.22 leaves FQDN:port to the deployment)
        smdp.address = f"{SMDP_HOST}:{httpd.server_address[1]}"
        return smdp, httpd

    def _run_lpa(self, case: Case, reader: str, address: str) -> LpaRun:
        values = {"reader": reader, **case.arguments(address)}
        argv = self.adapter.argv(case.operation, values)
        env = {**os.environ, **self.adapter.environment(values)}
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=case.timeout)
            code, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = None, exc.stdout or b"", exc.stderr or b""
        except OSError as exc:
            code, out, err = 127, b"", f"cannot start {argv[0]}: {exc.strerror}".encode()
        return LpaRun(argv, code, _text(out), _text(err), time.perf_counter() - started)


def _text(data: bytes) -> str:
    return data[:OUTPUT_LIMIT].decode("utf-8", "replace")
