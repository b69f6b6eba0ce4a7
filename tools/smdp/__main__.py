"""python -m euicc_tools.smdp: run the test SM-DP+ (ES9+ over HTTPS)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..signals import wait_for_stop_signal
from .es9 import Smdp
from .iccids import IccidSequence
from .server import TLS_PAIR, serve


def _unusable_pki(smdp: Smdp, tls: bool) -> str | None:
    """What the SM-DP+ needs of its PKI folder and did not find there when it read it, in
    words; None when nothing is missing."""
    if not smdp.cis:
        return "no CertificateIssuer/CERT_CI_ECDSA_*.der"
    for folder, signers in (("DPauth", smdp.auth), ("DPpb", smdp.pb)):
        if not signers:
            return f"no {folder}/CERT_S_SM_{folder}_ECDSA_*.der with its key"
    for name in TLS_PAIR if tls else ():
        if not (Path(smdp.pki) / name).is_file():
            return f"no {name} (or run with --no-tls)"
    return None


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
    bad = [item for item in args.confirmation_code if "=" not in item]
    if bad:
        parser.error(f"--confirmation-code {bad[0]}: give MATCHINGID=CODE")
    codes = dict(item.split("=", 1) for item in args.confirmation_code)
    if not args.pki.is_dir():
        parser.error(f"--pki {args.pki}: not a folder (make one with `euicc-emu pki init DIR`)")
    if not args.profiles.is_dir():
        parser.error(f"--profiles {args.profiles}: not a folder")
    try:
        iccids = None if args.unique_iccids is None else IccidSequence(args.unique_iccids)
    except ValueError as exc:
        parser.error(f"--unique-iccids: {exc}")
    smdp = Smdp(args.address, args.pki, args.profiles, confirmation_codes=codes,
                port=args.port, iccids=iccids)
    missing = _unusable_pki(smdp, tls=not args.no_tls)
    if missing:
        parser.error(f"--pki {args.pki}: {missing} (make one with `euicc-emu pki init DIR`)")
    try:
        httpd = serve(smdp, args.host, args.port, tls=not args.no_tls)
    except OSError as exc:  # a port in use, an address not of this machine
        print(f"smdp: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    logging.info("SM-DP+ %s listening on %s:%d", args.address, *httpd.server_address[:2])
    wait_for_stop_signal()
    httpd.shutdown()
    httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
