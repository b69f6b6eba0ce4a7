"""`euicc-emu`: command-line entry point. Argument parsing and wiring only.

    euicc-emu run [--state DIR ...] [--vpcd HOST:PORT | --listen HOST:PORT] [--pki DIR]
    euicc-emu pki init DIR
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import signal
import sys
import threading
from pathlib import Path

import platformdirs

from . import __version__
from .control import ControlServer
from .pki import PkiError, generate_test_pki, load_card_credentials
from .store import CardStore
from .trace import PcapTrace
from .transport.base import Transport
from .transport.vpcd import VPCD_BASE_PORT, VpcdClient, VpcdServer, parse_endpoint

log = logging.getLogger("euicc")

PKI_SUBDIR = "pki"
LOCK_NAME = "lock"


def default_state_dir() -> Path:
    return Path(platformdirs.user_data_dir("euicc-emu")) / "card0"


class StateLocked(RuntimeError):
    pass


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


def open_card(state: Path, pki: Path | None, eid: str | None):
    """Load (or create on first start) the card kept in ``state``."""
    from applets import build_card  # wiring: the CLI is the one place that knows applets

    if pki is None:
        pki = state / PKI_SUBDIR
        if not pki.exists():
            generate_test_pki(pki, eid=eid)
            log.info("generated a test PKI in %s", pki)
    store = CardStore(state)
    known = store.get_meta("eid")
    # A card keeps its EID: after `--eid` once, later starts find its issued certificate.
    credentials = load_card_credentials(pki, eid=eid or known, issue_into=state / "issued")
    if known is None:
        store.set_meta("eid", credentials.eid)
    elif known != credentials.eid:
        raise PkiError(
            f"state {state} belongs to EID {known}, but the PKI gives {credentials.eid}"
        )
    return build_card(store, credentials), credentials


def _transports(args) -> list[Transport]:
    count = len(args.state)
    if args.listen:
        host, port = parse_endpoint(args.listen)
        return [VpcdServer(host, port + i) for i in range(count)]
    host, port = parse_endpoint(args.vpcd or f"127.0.0.1:{VPCD_BASE_PORT + args.slot}")
    return [VpcdClient(host, port + i) for i in range(count)]


def cmd_run(args) -> int:
    states = [Path(s).expanduser() for s in (args.state or [default_state_dir()])]
    args.state = states
    pkis = [Path(p).expanduser() for p in args.pki] if args.pki else [None] * len(states)
    if len(pkis) != len(states):
        log.error("give one --pki per --state (or none)")
        return 2
    stop = threading.Event()
    threads, locks, traces, controls = [], [], [], []
    try:
        for state, pki, transport in zip(states, pkis, _transports(args), strict=True):
            locks.append(lock_state_dir(state))
            card, credentials = open_card(state, pki, args.eid)
            log.info("card EID %s, state %s, waiting for %s", credentials.eid, state,
                     transport.describe())
            if args.verbose > 1:
                card.observers.append(_log_exchange)
            if args.pcap:
                path = Path(args.pcap)
                if len(states) > 1:
                    path = path.with_name(f"{path.stem}-{len(threads)}{path.suffix}")
                trace = PcapTrace(path)
                card.observers.append(trace)
                traces.append(trace)
            controls.append(ControlServer(card, state))
            thread = threading.Thread(target=transport.serve, args=(card, stop),
                                      name=f"card-{state.name}", daemon=True)
            threads.append(thread)
    except (PkiError, StateLocked, OSError) as exc:
        log.error("%s", exc)
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    for thread in threads:
        thread.start()
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=3)
    for trace in traces:
        trace.close()
    for control in controls:
        control.close()
    return 0


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


def cmd_shell(args) -> int:
    from tools.shell.app import run  # wiring: the shell lives outside the card OS

    state = Path(args.state).expanduser() if args.state else default_state_dir()
    try:
        return run(state, Path(args.pki) if args.pki else None, args.command, args.json)
    except (FileNotFoundError, PkiError) as exc:
        log.error("%s", exc)
        return 1


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
    run.add_argument("--vpcd", metavar="HOST:PORT",
                     help=f"pcscd's vpcd to connect to (default 127.0.0.1:{VPCD_BASE_PORT})")
    run.add_argument("--slot", type=int, default=0,
                     help="vpcd reader slot n, port 35963+n (default 0)")
    run.add_argument("--listen", metavar="HOST:PORT",
                     help="reversed mode: listen and let vpcd connect")
    run.add_argument("--pki", action="append", metavar="DIR",
                     help="use this PKI (generated layout or SGP.26 file names) "
                          "instead of the state's own generated one")
    run.add_argument("--pcap", metavar="FILE",
                     help="also write every APDU exchange to FILE (pcap, GSMTAP SIM, for "
                          "Wireshark/tshark); with several cards FILE-<n>")
    run.add_argument("--eid", help="EID to use (issues an eUICC certificate if an EUM key "
                                   "is available and the certificate differs)")
    run.set_defaults(func=cmd_run)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
