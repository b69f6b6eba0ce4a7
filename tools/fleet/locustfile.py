"""Load test of an SM-DP+ with real eUICCs (issue 14): every Locust user is one device, a
card of this process's fleet (:mod:`euicc_tools.fleet`) with the project's LPA, downloading
over HTTPS with its own EID, certificate and signatures (SGP.22 3.1.3), then delivering the
notification (3.5, ES9+.HandleNotification) and running the chosen operations after it.

Locust statistics (charts, ``--csv``, ``--html``): request type ``ES9+`` with one name per
ES9+ function (initiateAuthentication, authenticateClient, getBoundProfilePackage,
handleNotification, cancelSession: SGP.22 5.6), request type ``device`` for each whole
operation (``download``: from GetEUICCChallenge to the removal of the delivered Install
notification; ``enable``, ``disable``, ``delete`` with their notifications). A failure
carries the SM-DP+'s subjectCode/reasonCode (SGP.22 6.5.1.4), the card's error by its SGP.22
name, or the transport's reason (unreachable, TLS); no failure stops a worker.

    locust -f tools/fleet/locustfile.py --headless -u 20 -r 20 -t 60s --csv out \\
        --fleet-pki PKI --fleet-smdp testsmdpplus1.example.com:8443 \\
        --fleet-matching-id TS48 --fleet-connect-to 127.0.0.1:8443 --fleet-downloads 200

Where the time goes: each process reports its own CPU time (user and system seconds since
its first user started, and per successful download) when it stops - logged, in
``--fleet-report``, and from each worker to the master (``report_to_master``), which logs
every worker's at its end - so a run tells the workers' CPU from the SM-DP+'s.

Distributed: ``--master`` on one machine, ``--worker --master-host HOST`` on each other (one
per core); each worker's fleet takes its EIDs from its worker index (or
``--fleet-worker``), so two workers never share one. Every worker needs the same
``--fleet-pki`` folder (the CI certificate and the EUM certificate with its key).
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import gevent
from locust import User, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from euicc_tools.fleet import DEFAULT_OPEN_LIMIT, Fleet
from euicc_tools.fleet.device import Device, DeviceError, HttpsEs9, Target, parse_activation_code
from euicc_tools.fleet.identity import ci_certificates

OPERATIONS = ("enable", "disable", "delete")
# the card's INFO line per installed profile costs time on every download and says nothing
# Locust's statistics do not
logging.getLogger("euicc_applets").setLevel(logging.WARNING)
log = logging.getLogger("euicc_tools.fleet")


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser.add_argument_group("fleet (euicc-emu devices)")
    group.add_argument("--fleet-pki", default="", help="PKI folder with the CI and the "
                       "EUM certificate and key (euicc-emu pki init)")
    group.add_argument("--fleet-seed", default="euicc-emu fleet",
                       help="seed of the cards' identities (same seed, same EIDs and keys)")
    group.add_argument("--fleet-worker", type=int, default=None, help="worker index for the "
                       "EIDs (default: the index the master gives, 0 without one)")
    group.add_argument("--fleet-dir", default="", help="where the cards' states are kept "
                       "(default: a temporary folder, removed at the end)")
    group.add_argument("--fleet-open-limit", type=int, default=DEFAULT_OPEN_LIMIT,
                       help="cards kept open at once")
    group.add_argument("--fleet-targets", default="", help="CSV, one row per target: an "
                       "activation code, or SM-DP+ address,matchingId[,confirmation code]; "
                       "user n takes row n mod rows")
    group.add_argument("--fleet-activation-code", default="", help="one for every device")
    group.add_argument("--fleet-smdp", default="", help="SM-DP+ address (host[:port])")
    group.add_argument("--fleet-matching-id", default="", help="with --fleet-smdp")
    group.add_argument("--fleet-confirmation-code", default="", help="for every target")
    group.add_argument("--fleet-ops", default="delete", help="after each download, in order: "
                       "comma-separated of " + ", ".join(OPERATIONS) + " ('' keeps it)")
    group.add_argument("--fleet-downloads", type=int, default=0, help="downloads of this "
                       "process, then it stops (0: until -t)")
    group.add_argument("--fleet-think", default="0", help="think time between operations, "
                       "seconds: N or MIN-MAX")
    group.add_argument("--fleet-ci", action="append", default=[], help="CI certificate the "
                       "SM-DP+'s TLS certificate must chain to (default: the PKI's CIs)")
    group.add_argument("--fleet-insecure", action="store_true",
                       help="do not verify the SM-DP+'s TLS certificate")
    group.add_argument("--fleet-connect-to", default="", help="host:port every SM-DP+ "
                       "address connects to (an SM-DP+ on loopback)")
    group.add_argument("--fleet-timeout", type=float, default=30.0, help="ES9+ timeout, s")
    group.add_argument("--fleet-report", default="", help="JSON file of every download "
                       "(EID, ICCID, notification), written at the end; {worker} is replaced")


def _targets(options) -> list[Target]:
    """The download targets, or ValueError saying which input is wrong."""
    code = options.fleet_confirmation_code or None
    if options.fleet_targets:
        rows = []
        with open(options.fleet_targets, newline="") as file:
            for number, row in enumerate(csv.reader(file), 1):
                row = [cell.strip() for cell in row]
                if not row or not row[0] or row[0].startswith("#"):
                    continue
                if "$" in row[0]:
                    rows.append(parse_activation_code(row[0], row[1] if len(row) > 1 and
                                                      row[1] else code))
                elif len(row) >= 2 and row[1]:
                    rows.append(Target(row[0], row[1], row[2] if len(row) > 2 and row[2]
                                       else code))
                else:
                    raise ValueError(f"{options.fleet_targets} row {number}: neither an "
                                     "activation code nor address,matchingId")
        if not rows:
            raise ValueError(f"{options.fleet_targets} has no target")
        return rows
    if options.fleet_activation_code:
        return [parse_activation_code(options.fleet_activation_code, code)]
    if options.fleet_smdp and options.fleet_matching_id:
        return [Target(options.fleet_smdp, options.fleet_matching_id, code)]
    raise ValueError("no target: --fleet-targets, --fleet-activation-code, or --fleet-smdp "
                     "with --fleet-matching-id")


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    low_s, high_s = float(low), float(high or low)
    if not 0 <= low_s <= high_s:
        raise ValueError(f"--fleet-think {text!r}: N or MIN-MAX seconds, MIN <= MAX")
    return low_s, high_s


class _Run:
    """This process's share of the run: its fleet, the targets, the download budget."""

    def __init__(self, environment) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.targets = _targets(options)
        self.ops = [op for op in (o.strip() for o in options.fleet_ops.split(",")) if op]
        unknown = sorted(set(self.ops) - set(OPERATIONS))
        if unknown:
            raise ValueError(f"--fleet-ops: unknown {', '.join(unknown)} (of "
                             f"{', '.join(OPERATIONS)})")
        self.think = _think(options.fleet_think)
        worker = options.fleet_worker
        if worker is None:
            worker = max(getattr(environment.runner, "worker_index", 0), 0)
        self.worker = worker
        self.temporary = not options.fleet_dir
        directory = Path(options.fleet_dir or tempfile.mkdtemp(prefix="euicc-fleet-"))
        pki = Path(options.fleet_pki)
        self.fleet = Fleet(directory / f"worker{worker}", pki, options.fleet_seed,
                           worker=worker, open_limit=options.fleet_open_limit)
        cis = [Path(c) for c in options.fleet_ci] or ci_certificates(pki)
        self.https = HttpsEs9(cis, options.fleet_insecure,
                              options.fleet_timeout, options.fleet_connect_to or None)
        self.budget = options.fleet_downloads
        self.taken = self.finished = 0
        self.indexes = itertools.count()
        self.downloads: list[dict] = []
        self.report = options.fleet_report.replace("{worker}", str(worker))
        self.cpu_start, self.wall_start = os.times(), time.time()

    def cpu(self) -> dict:
        """This process's CPU time since the run's first user started: the devices' cards
        and LPA, TLS and HTTP, and Locust itself."""
        now = os.times()
        user = now.user - self.cpu_start.user
        system = now.system - self.cpu_start.system
        done = len(self.downloads)
        return {"worker": self.worker, "downloads": done, "user_s": round(user, 3),
                "system_s": round(system, 3), "wall_s": round(time.time() - self.wall_start, 3),
                "cpu_ms_per_download": round((user + system) * 1000 / done, 2) if done
                else None}

    def take(self) -> bool:
        if self.budget and self.taken >= self.budget:
            return False
        self.taken += 1
        return True

    def done(self) -> None:
        self.finished += 1
        if self.budget and self.finished >= self.budget:
            # Locust rewrites its --csv files every CSV_STATS_INTERVAL_SEC and not at the
            # end: quitting later lets the last interval's requests into them
            gevent.spawn_later(CSV_STATS_INTERVAL_SEC + 0.5, self.environment.runner.quit)

    def close(self) -> None:
        cpu = self.cpu()
        log.info("fleet worker %d CPU: %s", self.worker, _cpu_text(cpu))
        if self.report:
            Path(self.report).write_text(json.dumps({
                "worker": self.worker, "cpu": cpu, "downloads": self.downloads}, indent=1))
        self.fleet.close()
        if self.temporary:
            shutil.rmtree(self.fleet.directory.parent, ignore_errors=True)


_run: _Run | None = None
_workers_cpu: dict[str, dict] = {}  # on the master: each worker's last CPU report


def _cpu_text(cpu: dict) -> str:
    per = cpu["cpu_ms_per_download"]
    return (f"{cpu['downloads']} downloads, {cpu['user_s'] + cpu['system_s']:.2f} s CPU (user "
            f"{cpu['user_s']:.2f}, system {cpu['system_s']:.2f}) in {cpu['wall_s']:.1f} s"
            + ("" if per is None else f", {per:.1f} ms CPU per download"))


def _shared(environment) -> _Run:
    """Made by the first user: a worker knows its index only once the master answered."""
    global _run
    if _run is None:
        _run = _Run(environment)
    return _run


@events.init.add_listener
def _check_inputs(environment, **_) -> None:
    """Bad inputs end the run before any user starts, with the reason."""
    if isinstance(environment.runner, MasterRunner):
        return  # the master runs no device; its workers check their own inputs
    options = environment.parsed_options
    try:
        _targets(options)
        _think(options.fleet_think)
        if not options.fleet_pki or not ci_certificates(Path(options.fleet_pki)):
            raise ValueError(f"--fleet-pki {options.fleet_pki!r}: no CI certificate "
                             "(CERT_CI_ECDSA_*.der) below it (make a PKI with euicc-emu pki "
                             "init)")
    except (ValueError, OSError) as exc:
        raise SystemExit(f"fleet: {exc}") from None


@events.report_to_master.add_listener
def _cpu_to_master(client_id, data, **_) -> None:
    if _run is not None:
        data["fleet_cpu"] = _run.cpu()


@events.worker_report.add_listener
def _cpu_of_worker(client_id, data, **_) -> None:
    if "fleet_cpu" in data:
        _workers_cpu[client_id] = data["fleet_cpu"]


@events.quitting.add_listener
def _quit(environment, **_) -> None:
    if _run is not None:
        _run.close()
    for client_id, cpu in sorted(_workers_cpu.items(), key=lambda item: item[1]["worker"]):
        log.info("fleet worker %d (%s) CPU: %s", cpu["worker"], client_id, _cpu_text(cpu))


class FleetDevice(User):
    """One device: one card of the fleet and its own HTTPS connections."""

    def wait_time(self) -> float:
        low, high = _shared(self.environment).think
        return random.uniform(low, high)

    def on_start(self) -> None:
        run = _shared(self.environment)
        self.run = run
        self.index = next(run.indexes)
        self.target = run.targets[self.index % len(run.targets)]
        self.device = Device(run.fleet.card(self.index), run.https.for_device(), self._report)

    def on_stop(self) -> None:
        self.device.close()

    def _report(self, what: str, seconds: float, failure: BaseException | None) -> None:
        kind = "device" if what in ("download", *OPERATIONS) else "ES9+"
        self.environment.events.request.fire(
            request_type=kind, name=what, response_time=seconds * 1000, response_length=0,
            exception=failure, context={"eid": self.device.eid})

    @task
    def cycle(self) -> None:
        """A download with its notification, then the operations of ``--fleet-ops``."""
        if not self.run.take():
            raise StopUser()
        try:
            started = time.time()
            try:
                data = self.device.download(self.target)
            except DeviceError:
                return  # reported as the failure of its step and of the download
            self.run.downloads.append({"eid": self.device.eid, "iccid": data["iccid"],
                                       "seqNumber": data["seqNumber"],
                                       "notification": data["notification"],
                                       "started": started, "ended": time.time()})
            for op in self.run.ops:
                self.wait()
                getattr(self.device, op)(data["iccid"])
        except DeviceError:
            pass  # reported as that operation's failure
        finally:
            self.run.done()
