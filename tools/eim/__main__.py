"""python -m euicc_tools.eim: the project's test eIM (SGP.32). ``--dir DIR`` is the folder
``euicc-emu pki eim DIR`` made (key, certificates, eim.json); the queue and results are kept
there too (eim.sqlite).

    python -m euicc_tools.eim --dir DIR serve [--host H] [--port P] [--no-tls]
                                              [--es9-ca FILE]... [--es9-insecure]
    python -m euicc_tools.eim --dir DIR psmo EID ITEM... [fault options]
    python -m euicc_tools.eim --dir DIR eco EID ITEM... [fault options]
    python -m euicc_tools.eim --dir DIR download EID (--activation-code AC |
                                                      --smdp ADDRESS --matching-id ID)
    python -m euicc_tools.eim --dir DIR push EID --ipa HOST:PORT [--all]
                                         [--no-tls | --ipa-ca FILE | --insecure]
    python -m euicc_tools.eim --dir DIR orders [EID] | results [EID] | counter EID

An ITEM is a Psmo or Eco in ASN.1 JER (X.697), e.g. '{"enable":{"iccid":"98..."}}', or a
short form: enable:ICCID, disable:ICCID, delete:ICCID, listProfileInfo, getRAT, (SGP.32 v1.2)
setFallbackAttribute:ICCID, unsetFallbackAttribute, setDefaultDpAddress:FQDN; listEim,
deleteEim:EIMID, addEim:DIR, updateEim:DIR (the EimConfigurationData of another eIM folder);
or {"der": HEX}, the item in DER.
Exit status: 0 done, 1 refused (a message says why), 2 usage.

``serve`` also relays the ES9+ steps of the indirect profile download (SGP.32 6.3.2.1-6.3.2.5,
:mod:`.relay`) to the SM-DP+ over HTTPS (SGP.22 6.5), whose TLS certificate (CERT.DP.TLS,
SGP.22 4.5.2) it verifies against the CI certificates of ``--es9-ca`` (DER or PEM,
repeatable); ``--es9-insecure`` verifies nothing (a test SM-DP+ with a foreign or expired
certificate). Without either, each relayed call fails as "SM-DP+ unreachable", the reason
in the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from euicc.asn1 import encode, sgp32
from euicc.coding import encode_iccid

from ..signals import wait_for_stop_signal
from . import keys
from .queue import EimQueue, QueueError
from .service import EimService, jsonable  # noqa: F401 - jsonable: results' display

STATE = "eim.sqlite"


def _iccid_jer(iccid: str) -> dict:
    return {"iccid": encode_iccid(iccid).hex().upper()}


def _eco_der(kind: str, directory: str) -> dict:
    """addEim / updateEim with another eIM folder's EimConfigurationData, as DER (JER in
    asn1tools has no ANY, which a SubjectPublicKeyInfo's parameters are)."""
    config = keys.load(Path(directory)).configuration()
    return {"der": encode(sgp32(), "Eco", (kind, config)).hex().upper()}


SHORT = {
    "enable": lambda a: {"enable": _iccid_jer(a)},
    "disable": lambda a: {"disable": _iccid_jer(a)},
    "delete": lambda a: {"delete": _iccid_jer(a)},
    "listProfileInfo": lambda a: {"listProfileInfo": {}},
    "getRAT": lambda a: {"getRAT": {}},
    "listEim": lambda a: {"listEim": {}},
    "deleteEim": lambda a: {"deleteEim": {"eimId": a}},
    "addEim": lambda a: _eco_der("addEim", a),
    "updateEim": lambda a: _eco_der("updateEim", a),
    # SGP.32 v1.2 PSMOs (2.11.1.1.3)
    "setFallbackAttribute": lambda a: {"setFallbackAttribute": _iccid_jer(a)},
    "unsetFallbackAttribute": lambda a: {"unsetFallbackAttribute": {}},
    "setDefaultDpAddress": lambda a: {"setDefaultDpAddress": {"defaultDpAddress": a}},
}


def parse_item(text: str) -> dict:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise QueueError(f"{text!r} is not JSON: {exc}") from None
    name, _, argument = text.partition(":")
    if name not in SHORT:
        raise QueueError(f"unknown item {name!r} (short forms: {', '.join(SHORT)}; or JER)")
    return SHORT[name](argument)


def _faults(args) -> dict:
    faults = {}
    if args.bad_signature:
        faults["signature"] = "bad"
    for name, value in (("counter", args.counter), ("eid", args.eid_value),
                        ("eimId", args.eim_id), ("raw", args.raw)):
        if value is not None:
            faults[name] = value
    return faults


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m euicc_tools.eim",
                                     description="The project's test eIM (SGP.32 ESipa).")
    parser.add_argument("--dir", required=True, type=Path,
                        help="the eIM folder (euicc-emu pki eim DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve ESipa (ASN.1 binding) over HTTPS")
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback)")
    serve.add_argument("--port", type=int, help="default: the port of the eimFqdn in "
                                                "eim.json, else 8000")
    serve.add_argument("--no-tls", action="store_true", help="plain HTTP (onomondo-ipa's "
                                                             "dev setup)")
    serve.add_argument("--es9-ca", action="append", type=Path, metavar="FILE",
                       help="ES9+ relay: a CI certificate the SM-DP+'s TLS certificate must "
                            "chain to (repeatable)")
    serve.add_argument("--es9-insecure", action="store_true",
                       help="ES9+ relay: do not verify the SM-DP+'s TLS certificate")
    for name in ("psmo", "eco"):
        order = sub.add_parser(name, help=f"queue an eUICC Package of {name.upper()}s")
        order.add_argument("eid")
        order.add_argument("items", nargs="+", metavar="ITEM")
        order.add_argument("--bad-signature", action="store_true", help="(test) spoil "
                                                                        "eimSignature")
        order.add_argument("--counter", type=int, help="(test) this counterValue")
        order.add_argument("--eid-value", metavar="EID", help="(test) sign for this EID")
        order.add_argument("--eim-id", metavar="ID", help="(test) sign as this eimId")
        order.add_argument("--raw", metavar="HEX", help="(test) send this as the BF51 content")
    download = sub.add_parser("download", help="queue a Profile Download Trigger")
    download.add_argument("eid")
    download.add_argument("--activation-code", metavar="AC",
                          help="SGP.22 4.1 activation code, e.g. 1$smdp.example.com$MATCHING")
    download.add_argument("--smdp", metavar="ADDRESS")
    download.add_argument("--matching-id", metavar="ID", default="")
    push = sub.add_parser("push", help="push the EID's queued orders to a listening IPA "
                          "(ESipa TransferEimPackage)")
    push.add_argument("eid")
    push.add_argument("--ipa", required=True, metavar="HOST:PORT",
                      help="where `euicc-lpa ipa listen` serves")
    push.add_argument("--no-tls", action="store_true", help="plain HTTP")
    push.add_argument("--ipa-ca", action="append", type=Path, metavar="FILE",
                      help="a certificate the IPA's TLS certificate must chain to")
    push.add_argument("--insecure", action="store_true",
                      help="do not verify the IPA's TLS certificate")
    push.add_argument("--all", action="store_true", help="push until the queue is empty")
    for name, what in (("orders", "the queued and sent orders"),
                       ("results", "the results received")):
        sub.add_parser(name, help=what).add_argument("eid", nargs="?")
    sub.add_parser("counter", help="the last counterValue used for an EID").add_argument("eid")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        credentials = keys.load(args.dir)
        queue = EimQueue(args.dir / STATE)
        return COMMANDS[args.command](args, credentials, queue)
    except (keys.EimKeyError, QueueError) as exc:
        print(f"eim {args.command}: {exc}", file=sys.stderr)
        return 1


def cmd_serve(args, credentials, queue) -> int:
    from .relay import https_es9_for
    from .server import serve

    if args.port is None:
        _, _, port = credentials.fqdn.rpartition(":")
        args.port = int(port) if port.isdigit() else 8000
    try:
        es9_for = https_es9_for(args.es9_ca, args.es9_insecure)
    except ValueError as exc:
        print(f"eim serve: --es9-ca: {exc}", file=sys.stderr)
        return 1
    if not args.es9_ca and not args.es9_insecure:
        logging.warning("ES9+ relay: no --es9-ca and no --es9-insecure: relayed downloads "
                        "will fail (the SM-DP+ cannot be verified)")
    try:
        httpd = serve(EimService(credentials, queue, es9_for), args.host, args.port,
                      tls=not args.no_tls)
    except OSError as exc:
        print(f"eim serve: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    host, port = httpd.server_address[:2]
    scheme = "http" if args.no_tls else "https"
    logging.info("eIM %s: ESipa at %s://%s:%d/gsma/rsp2/asn1", credentials.eim_id, scheme,
                 host, port)
    wait_for_stop_signal()
    httpd.shutdown()
    return 0


def cmd_package(args, credentials, queue) -> int:
    items = [parse_item(t) for t in args.items]
    EimService(credentials, queue).check_items(args.command, items)
    number = queue.add(args.eid, args.command, items, _faults(args))
    print(f"order {number}: {args.command} for {args.eid.upper()} queued")
    return 0


def cmd_download(args, credentials, queue) -> int:
    if args.activation_code is not None:
        code = args.activation_code
    elif args.smdp is not None:
        code = f"1${args.smdp}${args.matching_id}"
    else:
        raise QueueError("give --activation-code, or --smdp (and --matching-id)")
    number = queue.add(args.eid, "download", [{"activationCode": code}])
    print(f"order {number}: download {code} for {args.eid.upper()} queued")
    return 0


def cmd_push(args, credentials, queue) -> int:
    from .push import PushError, ipa_caller, push_next

    try:
        call = ipa_caller(args.ipa, not args.no_tls, args.ipa_ca, args.insecure)
        service = EimService(credentials, queue)
        pushed = 0
        while True:
            report = push_next(service, args.eid.upper(), call)
            if report is None:
                break
            pushed += 1
            acks = f", acknowledged {report['acknowledged']}" if report["acknowledged"] else ""
            print(f"pushed {report['package']}: {report['answer']}{acks}")
            if not args.all:
                break
    except PushError as exc:
        print(f"eim push: {exc}", file=sys.stderr)
        return 1
    if not pushed:
        print(f"nothing queued for {args.eid.upper()}")
    return 0


def cmd_orders(args, credentials, queue) -> int:
    for order in queue.orders(args.eid and args.eid.upper()):
        faults = f" faults {json.dumps(order.faults)}" if order.faults else ""
        counter = "" if order.counter is None else f" counterValue {order.counter}"
        print(f"{order.id}  {order.eid}  {order.kind:9} {order.state:6}{counter}  "
              f"{json.dumps(order.items)}{faults}")
    return 0


def cmd_results(args, credentials, queue) -> int:
    for result in queue.results(args.eid and args.eid.upper()):
        verified = {None: "not verified", True: "signature ok", False: "SIGNATURE BAD"}[
            result["verified"]]
        print(f"{result['id']}  {result['eid'] or '-'}  order {result['order']}  "
              f"{result['kind']}  {verified}  {json.dumps(jsonable(result['summary']))}")
    return 0


def cmd_counter(args, credentials, queue) -> int:
    value = queue.counter(args.eid.upper())
    print(credentials.initial_counter if value is None else value)
    return 0


COMMANDS = {"serve": cmd_serve, "psmo": cmd_package, "eco": cmd_package,
            "download": cmd_download, "push": cmd_push, "orders": cmd_orders,
            "results": cmd_results, "counter": cmd_counter}

if __name__ == "__main__":
    raise SystemExit(main())
