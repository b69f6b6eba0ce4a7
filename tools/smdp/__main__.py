"""python -m euicc_tools.smdp: run the test SM-DP+ (ES9+ over HTTPS)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from .es9 import Smdp
from .iccids import IccidSequence
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m euicc_tools.smdp", description=__doc__)
    parser.add_argument("--pki", required=True, type=Path,
                        help="PKI folder from `euicc-emu pki init` (CertificateIssuer/, "
                             "DPauth/, DPpb/, DPtls/)")
    parser.add_argument("--profiles", required=True, type=Path,
                        help="folder of Unprotected Profile Packages, <matchingId>.der")
    parser.add_argument("--address", default="testsmdpplus1.example.com",
                        help="the SM-DP+ address the LPA must use")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--no-tls", action="store_true", help="plain HTTP (tests only)")
    parser.add_argument("--confirmation-code", action="append", default=[],
                        metavar="MATCHINGID=CODE")
    parser.add_argument("--unique-iccids", type=int, nargs="?", const=0, metavar="START",
                        help="give every download its own ICCID, counting from START "
                             "(default 0) in the range of the package's ICCID")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    codes = dict(item.split("=", 1) for item in args.confirmation_code)
    try:
        iccids = None if args.unique_iccids is None else IccidSequence(args.unique_iccids)
    except ValueError as exc:
        parser.error(f"--unique-iccids: {exc}")
    smdp = Smdp(args.address, args.pki, args.profiles, confirmation_codes=codes,
                port=args.port, iccids=iccids)
    httpd = serve(smdp, args.host, args.port, tls=not args.no_tls)
    logging.info("SM-DP+ %s listening on %s:%d", args.address, *httpd.server_address[:2])
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    httpd.shutdown()
    httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
