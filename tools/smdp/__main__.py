"""python -m euicc_tools.smdp: run the test SM-DP+ (ES9+ over HTTPS)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from ..signals import wait_for_stop_signal
from .es9 import Smdp
from .iccids import IccidSequence
from .server import serve

# what the SM-DP+ reads of its PKI folder (tools/smdp/es9.py, server.py): the CI
# certificates it trusts, its ES9+ authentication and profile binding key pairs, its TLS pair
PKI_PARTS = {"CertificateIssuer": "CERT_CI_ECDSA_*.der", "DPauth": "CERT_S_SM_DPauth_ECDSA_*.der",
             "DPpb": "CERT_S_SM_DPpb_ECDSA_*.der"}
TLS_FILES = ("DPtls/CERT_S_SM_DP_TLS_NIST.pem", "DPtls/SK_S_SM_DP_TLS_NIST.pem")


def _missing_pki_parts(pki: Path, tls: bool) -> str | None:
    """What the SM-DP+ needs and ``pki`` lacks, in words; None when nothing is missing."""
    if not pki.is_dir():
        return "not a folder"
    for folder, pattern in PKI_PARTS.items():
        if not any((pki / folder).glob(pattern)):
            return f"no {folder}/{pattern}"
    for name in TLS_FILES if tls else ():
        if not (pki / name).is_file():
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
    missing = _missing_pki_parts(args.pki, tls=not args.no_tls)
    if missing:
        parser.error(f"--pki {args.pki}: {missing} (make one with `euicc-emu pki init DIR`)")
    if not args.profiles.is_dir():
        parser.error(f"--profiles {args.profiles}: not a folder")
    try:
        iccids = None if args.unique_iccids is None else IccidSequence(args.unique_iccids)
    except ValueError as exc:
        parser.error(f"--unique-iccids: {exc}")
    smdp = Smdp(args.address, args.pki, args.profiles, confirmation_codes=codes,
                port=args.port, iccids=iccids)
    try:
        httpd = serve(smdp, args.host, args.port, tls=not args.no_tls)
    except OSError as exc:  # a port in use, an address not of this machine
        print(f"smdp: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    logging.info("SM-DP+ %s listening on %s:%d", args.address, *httpd.server_address[:2])
    wait_for_stop_signal(threading.Event())
    httpd.shutdown()
    httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
