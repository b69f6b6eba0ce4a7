"""`euicc-emu`: command-line entry point. Argument parsing and wiring only.

    euicc-emu run [--state DIR ...] [--vpcd HOST:PORT | --listen HOST:PORT] [--pki DIR]
    euicc-emu shell [--state DIR] [-c COMMAND]
    euicc-emu pki init DIR
    euicc-emu pki eim DIR [--eim-id ID] [--fqdn HOST:PORT] [--ci PKI]
    euicc-emu personality list | show NAME|FILE | capture --reader N FILE [--force]

What each command loads, it loads when it runs: ``run`` the card assembly (:mod:`.card`:
the applets and the SGP.22/SAIP ASN.1 modules), ``shell`` the shell (cmd2,
prompt_toolkit), so a card process never carries the shell and ``pki init`` neither.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from euicc import __version__
from euicc.control import ControlServer
from euicc.faults import ScenarioError, read_scenario
from euicc.pki import PkiError, generate_test_pki, load_card_credentials
from euicc.store import CardStore
from euicc.trace import PcapTrace
from euicc.transport.base import Transport, TransportError
from euicc.transport.vpcd import (
    VPCD_BASE_PORT,
    VPCD_SLOTS,
    VpcdClient,
    VpcdServer,
    parse_endpoint,
)
from euicc_tools.conformance.case import CASE_SECTIONS
from euicc_tools.conformance.cli import add_parser as add_conformance_parser
from euicc_tools.signals import StopSignals

log = logging.getLogger("euicc")

LOCK_NAME = "lock"


def default_state_dir() -> Path:
    return Path(platformdirs.user_data_dir("euicc-emu")) / "card0"


class StateLocked(RuntimeError):
    pass


class UsageError(ValueError):
    """An option value that cannot work, said in words."""


def lock_state_dir(directory: Path):
    """Hold an exclusive lock on the state directory for the life of the process."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / LOCK_NAME, "a+")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StateLocked(f"{directory} is in use by another euicc-emu process") from None
    return handle


def _check_folder(path: Path, option: str, must_exist: bool) -> None:
    """A --state/--pki that cannot serve gets a message naming the problem, not an errno."""
    if not path.exists():
        if must_exist:
            raise UsageError(f"{option} {path} does not exist")
        return
    if not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder")
    if not os.access(path, os.R_OK | os.X_OK) or (option == "--state"
                                                  and not os.access(path, os.W_OK)):
        need = "readable and writable" if option == "--state" else "readable"
        raise UsageError(f"{option} {path} is not {need} by this user")


@dataclass
class _Served:
    """One card of this process and what it holds open."""

    name: str
    lock: object
    store: CardStore
    card: object = None
    control: ControlServer | None = None
    trace: PcapTrace | None = None

    def close(self) -> None:
        for part in (self.control, self.trace, self.store, self.lock):
            if part is not None:
                part.close()


# After each answer the card polls this long for the next command (euicc.transport.vpcd
# _await_next says why). One card only: the cards of one process share one interpreter, and
# a polling thread would take the others' turns.
SPIN_US_ONE_CARD = 300
MAX_SPIN_US = 10_000


def _transports(args) -> list[Transport]:
    count = len(args.state)
    spin = args.spin_us if args.spin_us is not None else SPIN_US_ONE_CARD if count == 1 else 0
    if args.listen:
        host, port = args.listen
        return [VpcdServer(host, port + i, spin) for i in range(count)]
    host, port = args.vpcd or ("127.0.0.1", VPCD_BASE_PORT + args.slot)
    return [VpcdClient(host, port + i, spin) for i in range(count)]


def _spin_us(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_SPIN_US:
        raise argparse.ArgumentTypeError(f"{text!r}: microseconds from 0 to {MAX_SPIN_US}")
    return int(text)


def pcap_path(path: Path, index: int, count: int) -> Path:
    """--pcap FILE: one card writes FILE; card n of several writes NAME-n.EXT."""
    return path if count == 1 else path.with_name(f"{path.stem}-{index}{path.suffix}")


def _start_card(index: int, state: Path, pki: Path | None, transport: Transport, args,
                served: list[_Served]) -> None:
    _check_folder(state, "--state", must_exist=False)
    if pki is not None:
        _check_folder(pki, "--pki", must_exist=True)
    from .card import fault_catalog, open_card  # the applets, only once a card is started

    scenario, preset = _scenario(args), None
    if scenario is not None and "preset" in scenario.sections:
        from euicc_applets.isd_r.presets import parse_preset

        try:
            preset = parse_preset(scenario.sections["preset"], base=scenario.path.parent)
        except ScenarioError as exc:
            raise scenario.error(exc, "preset") from None
    personality = _personality(args.personality)
    lock = lock_state_dir(state)
    try:
        card, credentials, store = open_card(state, pki, args.eid, args.rekey, preset,
                                             personality)
    except BaseException:
        lock.close()
        raise
    entry = _Served(f"card {index} ({state})", lock, store, card)
    served.append(entry)
    transport.open()  # a port that is in use fails here, before anything is served
    log.info("card EID %s, state %s, waiting for %s", credentials.eid, state,
             transport.describe())
    if args.verbose > 1:
        card.observers.append(_log_exchange)
    if args.pcap:
        entry.trace = PcapTrace(pcap_path(Path(args.pcap), index, len(args.state)))
        card.observers.append(entry.trace)
    catalog = fault_catalog(card)
    if scenario is not None:
        for rule in scenario.rules(catalog):
            rule = card.faults.add(rule)
            log.info("fault %s: %s", rule.id, rule.describe())
    entry.control = ControlServer(card, state, catalog)


def _personality(name: str | None):
    """--personality NAME|FILE read (its warnings logged), None: the generic card."""
    if name is None:
        return None
    from euicc_tools.personalities import load_personality

    personality = load_personality(name)
    for warning in personality.warnings:
        log.warning("%s", warning)
    return personality


def cmd_personality(args) -> int:
    from euicc_tools.personalities import builtin_names, load_personality

    if args.personality_command == "capture":
        return cmd_capture(args)
    try:
        if args.personality_command == "list":
            for name in builtin_names():
                print(f"{name:20} {load_personality(name).description}")
            return 0
        p = load_personality(args.name)
    except ScenarioError as exc:
        log.error("%s", exc)
        return 1
    for warning in p.warnings:
        log.warning("%s", warning)
    print(f"name         {p.name}\ndescription  {p.description}\nsource       {p.source}")
    print(f"file         {p.path}\nATR          {p.atr.hex().upper()}")
    print(f"ISD-R AID    {p.isd_r_aid.hex().upper()}\nchannels     {p.logical_channels}")
    print(f"EUM range    {p.eum or '(any)'}\nLPA          {p.lpa or '(any)'}")
    print(f"EID          {p.eid or '(from the PKI or --eid)'}")
    print(f"quirks       {', '.join(sorted(p.quirks)) or '(none)'}")
    print(f"STORE DATA   {p.max_store_data or 'any'} bytes per block\n"
          f"response     {p.max_response} bytes per R-APDU")
    if p.ecasd is not None:
        for what, pkids in (("verifies", p.ecasd.verification), ("signs", p.ecasd.signing)):
            print(f"ECASD {what:7} {', '.join(k.hex().upper() for k in pkids)}")
    for key, value in sorted(p.factory.config_changes().items()):
        if isinstance(value, tuple) and value and isinstance(value[0], bytes):
            value = ", ".join(v.hex().upper() for v in value)
        print(f"{key:12} {value}")
    for profile in p.factory.profiles:
        print(f"profile      {profile.iccid} {profile.state.name.lower()} "
              f"{profile.profile_class.name.lower()} {profile.name!r} "
              f"({'package' if profile.package else 'metadata only'})")
    return 0


def cmd_capture(args) -> int:
    """`personality capture`: the card in a PC/SC reader into a personality file
    (:mod:`euicc_tools.personalities.capture`); every failure one line, status 1."""
    from euicc_tools.personalities.capture import CaptureError, capture_reader
    from euicc_tools.personalities.capture_toml import write

    path = Path(args.file).expanduser()
    if path.exists() and not args.force:  # before the card is read: nothing to lose
        log.error("%s exists (--force to overwrite it)", path)
        return 1
    try:
        captured = capture_reader(args.reader)
        rendered, mismatches = write(captured, path, args.force)
    except (CaptureError, ScenarioError, OSError, ValueError) as exc:
        log.error("%s", exc)
        return 1
    print(f"{path}: EID {captured.eid}, ISD-R {captured.isd_r_aid.hex().upper()}, "
          f"{len(captured.values['ES10c.GetProfilesInfo'][1])} profile(s)"
          + "".join(f", {name}" for name in rendered.files))
    for note in rendered.notes:
        log.warning("not reproduced: %s", note)
    if mismatches:
        log.warning("a card made from %s answers %s differently", path, ", ".join(mismatches))
    else:
        print(f"checked: a card made from it answers {', '.join(captured.answers)} "
              "byte-identically, at the same ISD-R AIDs, with as many logical channels")
    return 0


def _scenario(args):
    """The --scenario file, read before the card is made (its preset goes into the state);
    its rules are checked against the card once it exists. A conformance case file is a
    scenario too: its [case] and [[expect]] sections are the runner's, not the card's."""
    if not args.scenario:
        return None
    return read_scenario(Path(args.scenario).expanduser(), ("preset",), CASE_SECTIONS)


def cmd_run(args) -> int:
    states = [Path(s).expanduser() for s in (args.state or [default_state_dir()])]
    args.state = states
    pkis = [Path(p).expanduser() for p in args.pki] if args.pki else [None] * len(states)
    if len(pkis) != len(states):
        log.error("give one --pki per --state (or none)")
        return 2
    if not args.listen and not args.vpcd and args.slot + len(states) > VPCD_SLOTS:
        log.error("%d cards from slot %d need slots up to %d; vpcd has %d (0..%d)",
                  len(states), args.slot, args.slot + len(states) - 1, VPCD_SLOTS,
                  VPCD_SLOTS - 1)
        return 2
    stop = threading.Event()
    served: list[_Served] = []
    transports = _transports(args)
    try:
        for index, (state, pki, transport) in enumerate(zip(states, pkis, transports,
                                                            strict=True)):
            try:
                _start_card(index, state, pki, transport, args, served)
            except (PkiError, StateLocked, UsageError, TransportError, ScenarioError) as exc:
                log.error("card %d (%s): %s", index, state, exc)
                return 1
            except OSError as exc:
                log.error("card %d (%s): %s%s", index, state, (exc.strerror or exc),
                          f": {exc.filename}" if exc.filename else "")
                return 1
        failures: list[str] = []
        threads = [threading.Thread(target=_serve, args=(entry, transport, stop, failures),
                                    name=f"card-{index}", daemon=True)
                   for index, (entry, transport) in enumerate(zip(served, transports,
                                                                  strict=True))]
        stopping = StopSignals(stop).install()
        for thread in threads:
            thread.start()
        stopping.wait()  # a signal, or a card's failure (_serve sets stop)
        for thread in threads:
            thread.join(timeout=3)
        return 1 if failures else 0
    finally:
        for entry in served:
            entry.close()  # the store's last checkpoint: one database file again


def _serve(entry: _Served, transport: Transport, stop: threading.Event,
           failures: list[str]) -> None:
    """A card's transport loop; a failure stops the whole process, naming the card."""
    try:
        transport.serve(entry.card, stop)
    except Exception as exc:  # noqa: BLE001 - reported once, then the process exits
        log.error("%s stopped: %s", entry.name, exc)
        failures.append(entry.name)
        stop.set()


def _log_exchange(exchange) -> None:
    log.debug(
        "ch%s %-32s %s %d bytes in, %d out, %.2f ms",
        "-" if exchange.channel is None else exchange.channel, exchange.name,
        exchange.response[-2:].hex().upper(), len(exchange.command), len(exchange.response) - 2,
        exchange.duration * 1000,
    )


def cmd_pki_init(args) -> int:
    directory = Path(args.directory).expanduser()
    if directory.exists() and any(directory.iterdir()) and not args.force:
        log.error("%s is not empty (use --force to write into it)", directory)
        return 1
    try:
        generate_test_pki(directory, eid=args.eid, smdp_address=args.smdp_address,
                          overwrite=args.force)
        credentials = load_card_credentials(directory)
    except PkiError as exc:
        log.error("%s", exc)
        return 1
    print(f"test PKI written to {directory} (EID {credentials.eid})")
    return 0


def cmd_pki_eim(args) -> int:
    from euicc_tools.eim import keys

    directory = Path(args.directory).expanduser()
    try:
        credentials = keys.generate(directory, args.eim_id, args.fqdn,
                                    None if args.ci is None else Path(args.ci).expanduser(),
                                    args.counter, overwrite=args.force)
    except keys.EimKeyError as exc:
        log.error("%s", exc)
        return 1
    issuer = "the test CI" if args.ci else "itself"
    print(f"test eIM {credentials.eim_id} ({credentials.fqdn}) written to {directory}, "
          f"certificate signed by {issuer}; AddInitialEim request: "
          f"{directory / keys.ADD_INITIAL_EIM}")
    return 0


def cmd_shell(args) -> int:
    from euicc_tools.shell.app import run  # cmd2 and prompt_toolkit: for the shell only

    state = Path(args.state).expanduser() if args.state else default_state_dir()
    try:
        return run(state, Path(args.pki) if args.pki else None, args.command, args.json)
    except (FileNotFoundError, PkiError) as exc:
        log.error("%s", exc)
        return 1


def _slot(text: str) -> int:
    if not text.isdigit() or int(text) >= VPCD_SLOTS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a vpcd slot (0..{VPCD_SLOTS - 1})")
    return int(text)


def _endpoint(text: str) -> tuple[str, int]:
    try:
        return parse_endpoint(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"HOST:PORT expected, {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="euicc-emu", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging (-vv logs every APDU: command name and status)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="put the card into a vpcd reader")
    run.add_argument("--state", action="append", metavar="DIR",
                     help=f"card state directory (default {default_state_dir()}); "
                          "repeat for several cards on consecutive slots")
    run.add_argument("--vpcd", metavar="HOST:PORT", type=_endpoint,
                     help=f"pcscd's vpcd to connect to (default 127.0.0.1:{VPCD_BASE_PORT})")
    run.add_argument("--slot", type=_slot, default=0,
                     help=f"vpcd reader slot n (0..{VPCD_SLOTS - 1}), port 35963+n (default 0)")
    run.add_argument("--listen", metavar="HOST:PORT", type=_endpoint,
                     help="reversed mode: listen and let vpcd connect")
    run.add_argument("--spin-us", type=_spin_us, metavar="US",
                     help="after each answer, poll this many microseconds for the next "
                          f"command before blocking (default {SPIN_US_ONE_CARD} with one card, "
                          "0 with several; 0: block at once)")
    run.add_argument("--pki", action="append", metavar="DIR",
                     help="use this PKI (generated layout or SGP.26 file names) "
                          "instead of the state's own generated one")
    run.add_argument("--pcap", metavar="FILE",
                     help="also write every APDU exchange to FILE (pcap, GSMTAP SIM, for "
                          "Wireshark/tshark); with several cards one file per card, "
                          "NAME-<n>.EXT (trace.pcap: trace-0.pcap, trace-1.pcap, ...)")
    run.add_argument("--eid", help="EID to use (issues an eUICC certificate if an EUM key "
                                   "is available and the certificate differs)")
    run.add_argument("--scenario", metavar="FILE",
                     help="a fault plan to start with (TOML, [[fault]] tables; see "
                          "euicc/faults/scenario.py); change it live with the shell's "
                          "`fault` command")
    run.add_argument("--rekey", action="store_true",
                     help="bind the state to this start's PKI (--pki DIR, or its own, "
                          "generated anew if gone) even if it was made with another; "
                          "logs what changed")
    run.add_argument("--personality", metavar="NAME|FILE",
                     help="the chip the card looks like (ATR, ISD-R AID, EUICCInfo, factory "
                          "profiles); built in: `euicc-emu personality list`; default "
                          "generic. A state stays bound to the personality it was made with")
    run.set_defaults(func=cmd_run)

    persona = sub.add_parser("personality", help="card personalities (chip models)")
    persona_sub = persona.add_subparsers(dest="personality_command", required=True)
    persona_sub.add_parser("list", help="the built-in personalities").set_defaults(
        func=cmd_personality)
    show = persona_sub.add_parser("show", help="what a personality declares")
    show.add_argument("name", metavar="NAME|FILE")
    show.set_defaults(func=cmd_personality)
    capture = persona_sub.add_parser(
        "capture", help="read a card through PC/SC into a personality file")
    capture.add_argument("--reader", required=True, metavar="N|NAME",
                         help="the PC/SC reader: its number in the reader list (from 0) or "
                              "a part of its name")
    capture.add_argument("file", metavar="FILE", help="the personality file to write (.toml; "
                                                      "icons are written beside it)")
    capture.add_argument("--force", action="store_true", help="overwrite FILE and its icons")
    capture.set_defaults(func=cmd_personality)

    shell = sub.add_parser("shell", help="look into a card's state (read-only)")
    shell.add_argument("--state", metavar="DIR", help="card state directory")
    shell.add_argument("--pki", metavar="DIR", help="the PKI the card runs with, if not its own")
    shell.add_argument("-c", dest="command", metavar="COMMAND",
                       help="run one command and exit: status 0 on success, 1 on a failure, "
                            "2 on a usage error (-c help lists the commands)")
    shell.add_argument("--json", action="store_true",
                       help='JSON output, errors too ({"ok": false, "error": ...})')
    shell.set_defaults(func=cmd_shell)

    pki = sub.add_parser("pki", help="test PKI")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True)
    init = pki_sub.add_parser("init", help="generate a complete test PKI in DIR")
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--eid", help="EID of the eUICC certificate (default: random, valid)")
    init.add_argument("--smdp-address", default="testsmdpplus1.example.com",
                      help="SM-DP+ address for the DPtls certificate")
    init.add_argument("--force", action="store_true")
    init.set_defaults(func=cmd_pki_init)
    eim = pki_sub.add_parser("eim", help="a test eIM's key, certificate, TLS pair and "
                                         "AddInitialEim request in DIR (SGP.32)")
    eim.add_argument("directory", metavar="DIR")
    eim.add_argument("--eim-id", default="eim.example.com", help="eimId (default "
                                                                 "eim.example.com)")
    eim.add_argument("--fqdn", default="127.0.0.1:8000",
                     help="eimFqdn the IPA polls, host[:port] (default 127.0.0.1:8000)")
    eim.add_argument("--ci", metavar="PKI", help="issue the eIM certificate under the test CI "
                     "of this `pki init` folder (default: self-signed)")
    eim.add_argument("--counter", type=int, default=0, help="the initial counterValue")
    eim.add_argument("--force", action="store_true")
    eim.set_defaults(func=cmd_pki_eim)
    add_conformance_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return args.func(args)
