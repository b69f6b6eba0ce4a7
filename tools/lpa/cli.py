"""`euicc-lpa`: the project's LPA as a command of its own, driven like lpac (a separate
process on a PC/SC reader through pcscd, ES9+ over HTTPS). Argument parsing and wiring
only; what each operation does is in :mod:`.operations`.

    euicc-lpa [--reader SUBSTRING] [--json] [--timeout S] [--basic-channel]
              [--block-size N] OPERATION ...
    euicc-lpa ipa add-initial-eim FILE | ipa poll [--eim ADDRESS] [--no-tls] [--loop]
                                                   [--indirect]
    euicc-lpa ipa listen [--host H] [--port P] [--tls-cert F --tls-key F] [--count N]
    euicc-lpa ipa fallback | return-from-fallback | emergency-enable | emergency-disable
              [--refresh]      (SGP.32 v1.2, 5.9.20-5.9.23)

The reader is the first whose name contains ``--reader`` (or ``$EUICC_LPA_READER``), else
the first with a card. The logical channel is closed and the card disconnected whatever
happens. With ``--json`` exactly one JSON object goes to stdout: ``{"ok": true,
"operation": ..., "data": ...}`` or ``{"ok": false, "operation": ..., "error": ...,
"code": ...}`` (plus ``"data"`` where the operation got part of its work done). Exit
statuses (:class:`~.outcome.ExitStatus`): 0 success, 1 refused or failed, 2 usage, 3 no
reader or a transport failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from .download import CancelSessionReason
from .es9 import https_es9
from .es10 import Es10Client, Es10Error
from .esipa import http_esipa
from .ipa import V12_FUNCTIONS
from .link import ApduLink, LinkError, PcscLink
from .notifications import Es9For
from .operations import OPERATIONS
from .outcome import ExitStatus, classify

READER_VARIABLE = "EUICC_LPA_READER"
MIN_BLOCK, MAX_BLOCK = 6, 255  # lpac's LPAC_CUSTOM_ES10X_MSS range; Lc is one byte


def _block_size(text: str) -> int:
    value = int(text)
    if not MIN_BLOCK <= value <= MAX_BLOCK:
        raise argparse.ArgumentTypeError(f"must be {MIN_BLOCK}..{MAX_BLOCK}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _seq(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("a seqNumber is not negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="euicc-lpa", description="The project's LPA (SGP.22 LPAd) on a PC/SC reader.")
    parser.add_argument("--reader", metavar="SUBSTRING",
                        help=f"the reader whose name contains this (default ${READER_VARIABLE}, "
                             "else the first reader with a card)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--timeout", type=_seconds, default=30.0, metavar="S",
                        help="ES9+ HTTPS timeout in seconds (default 30)")
    parser.add_argument("--basic-channel", action="store_true",
                        help="ES10 on the basic channel, like pySim-shell (default: a "
                             "logical channel, like lpac)")
    parser.add_argument("--block-size", type=_block_size, default=120, metavar="N",
                        help="STORE DATA block size (default 120, lpac's)")
    ops = parser.add_subparsers(dest="operation", required=True, metavar="OPERATION")
    ops.add_parser("info", help="EID, EUICCInfo1/2, configured addresses")
    ops.add_parser("list", help="the profiles (GetProfilesInfo)")
    for name, what in (("enable", "ES10c.EnableProfile"), ("disable", "ES10c.DisableProfile")):
        sub = ops.add_parser(name, help=what)
        sub.add_argument("profile", metavar="ICCID|AID")
        sub.add_argument("--refresh", action="store_true", help="refreshFlag true")
    ops.add_parser("delete", help="ES10c.DeleteProfile").add_argument(
        "profile", metavar="ICCID|AID")
    sub = ops.add_parser("nickname", help="ES10c.SetNickname")
    sub.add_argument("iccid", metavar="ICCID")
    sub.add_argument("name", metavar="NAME")
    ops.add_parser("set-default-address", help="ES10a.SetDefaultDpAddress").add_argument(
        "address", metavar="ADDRESS")
    sub = ops.add_parser("memory-reset", help="ES10c.eUICCMemoryReset")
    sub.add_argument("--operational", action="store_true", help="deleteOperationalProfiles")
    sub.add_argument("--test", action="store_true", help="deleteFieldLoadedTestProfiles")
    sub.add_argument("--default-address", action="store_true",
                     help="resetDefaultSmdpAddress")
    ops.add_parser("notifications-list", help="ES10b.ListNotification")
    sub = ops.add_parser("notifications-process",
                         help="deliver pending notifications (HandleNotification) and remove "
                              "the delivered ones")
    sub.add_argument("--seq", type=_seq, action="append", metavar="N",
                     help="only this seqNumber (repeatable)")
    sub.add_argument("--no-remove", action="store_true", help="keep them on the card")
    sub = ops.add_parser("download", help="profile download (SGP.22 3.1.3)")
    sub.add_argument("--smdp", required=True, metavar="ADDRESS", help="host or host:port")
    sub.add_argument("--matching-id", required=True, metavar="ID")
    sub.add_argument("--confirmation-code", metavar="CC")
    sub.add_argument("--reject", choices=[r.name for r in CancelSessionReason],
                     metavar="REASON", help="decline the offered profile after "
                     "AuthenticateClient (a CancelSessionReason: "
                     + ", ".join(r.name for r in CancelSessionReason) + ")")
    sub.add_argument("--no-notify", action="store_true",
                     help="leave the Install notification on the card")
    sub = ops.add_parser("ipa", help="SGP.32 IPA flows with an eIM (ESipa)")
    ipa_ops = sub.add_subparsers(dest="ipa_operation", required=True, metavar="IPA-OPERATION")
    ipa_ops.add_parser("add-initial-eim", help="ES10b.AddInitialEim with a request file "
                       "(euicc-emu pki eim DIR writes DIR/add_initial_eim.der)").add_argument(
        "file", metavar="FILE")
    for operation, (function, _, _) in V12_FUNCTIONS.items():
        ipa_ops.add_parser(operation, help=f"{function} (SGP.32 v1.2)").add_argument(
            "--refresh", action="store_true", help="refreshFlag: ask the device to reset")
    listen = ipa_ops.add_parser("listen", help="serve the eIM's pushes (ESipa "
                                "TransferEimPackage) until stopped or --count")
    listen.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback)")
    listen.add_argument("--port", type=int, default=8600, help="default 8600")
    listen.add_argument("--tls-cert", type=Path, metavar="FILE",
                        help="HTTPS with this certificate (PEM) and --tls-key")
    listen.add_argument("--tls-key", type=Path, metavar="FILE")
    listen.add_argument("--count", type=int, metavar="N", help="stop after N pushes")
    listen.add_argument("--eim", metavar="ADDRESS", help="where a download's result goes "
                        "(default: the card's eimFqdn)")
    listen.add_argument("--no-tls", action="store_true",
                        help="to the eIM over plain HTTP")
    poll = ipa_ops.add_parser("poll", help="one poll round: notifications, GetEimPackage, "
                              "execution, ProvideEimPackageResult")
    poll.add_argument("--eim", metavar="ADDRESS",
                      help="the eIM's host:port (default: the card's eimFqdn)")
    poll.add_argument("--no-tls", action="store_true", help="ESipa over plain HTTP")
    poll.add_argument("--indirect", action="store_true",
                      help="ES9+ through the eIM's relay (SGP.32 3.2, 6.3.2.1-6.3.2.5), not "
                           "to the SM-DP+ directly")
    poll.add_argument("--loop", action="store_true",
                      help="poll again until the eIM has no package (at most --rounds)")
    poll.add_argument("--rounds", type=int, default=50, metavar="N",
                      help="with --loop: at most N rounds (default 50)")
    poll.add_argument("--interval", type=float, default=0.0, metavar="S",
                      help="with --loop: seconds between rounds (default 0)")
    return parser


def run(args: argparse.Namespace, link: ApduLink, es9_for: Es9For,
        out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the operation of ``args`` on ``link``; report it; the exit status. The link is
    the caller's to close; the logical channel is closed here."""
    es10 = Es10Client(link, block_size=args.block_size, basic_channel=args.basic_channel)
    try:
        try:
            es10.open()
            data = OPERATIONS[args.operation].run(es10, es9_for, args)
        finally:
            try:
                es10.close()
            except (LinkError, Es10Error):
                pass  # the card is gone or refuses: what failed first is the report
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none escapes
        return report_failure(args, exc, out, err)
    if args.json:
        print(json.dumps({"ok": True, "operation": _name(args), "data": data}), file=out)
    else:
        for line in OPERATIONS[args.operation].human(data):
            print(line, file=out)
    return ExitStatus.OK


def _name(args: argparse.Namespace) -> str:
    """The operation's name as typed: ``download``, ``ipa poll``."""
    sub = getattr(args, "ipa_operation", None)
    return args.operation if sub is None else f"{args.operation} {sub}"


def report_failure(args: argparse.Namespace, exc: BaseException, out: TextIO,
                   err: TextIO) -> int:
    failure = classify(exc)
    if failure is None:  # no layer raises this: a bug, said as one
        message, code, status, data = (f"internal error: {type(exc).__name__}: {exc}", None,
                                       ExitStatus.FAILED, None)
    else:
        message, code, status, data = failure.message, failure.code, failure.status, \
            failure.data
    if args.json:
        answer = {"ok": False, "operation": _name(args), "error": message, "code": code}
        if data is not None:
            answer["data"] = data
        print(json.dumps(answer), file=out)
    else:
        if data is not None:
            for line in OPERATIONS[args.operation].human(data):
                print(line, file=out)
        print(f"euicc-lpa {_name(args)}: {message}", file=err)
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a usage error exits 2 here
    reader = args.reader if args.reader is not None else os.environ.get(READER_VARIABLE)
    try:
        link = PcscLink(reader)
    except LinkError as exc:
        return report_failure(args, exc, sys.stdout, sys.stderr)
    if args.operation == "ipa" and args.ipa_operation in ("poll", "listen"):
        tls = not args.no_tls
        args.esipa_for = lambda address: http_esipa(address, tls, args.timeout)
    try:
        return run(args, link, lambda address: https_es9(address, args.timeout))
    finally:
        link.close()
