"""The test SM-DP+ over real HTTPS on loopback (tools/smdp/server.py, TLS with the PKI's
CERT.DP.TLS) for the fleet's tests, and the HTTPS ES9+ of devices that verify it."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from euicc_tools.fleet.device import HttpsEs9
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.iccids import IccidSequence
from euicc_tools.smdp.server import serve
from tests.support.shared_material import SHARED

SMDP_NAME = "testsmdpplus1.example.com"  # the name CERT.DP.TLS of generate_test_pki carries
TS48 = SHARED / "profiles" / "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der"


def profiles_folder(directory: Path) -> Path:
    """A folder with the TS.48 package as matchingId TS48 (the project's own small package
    where ../shared is absent)."""
    from tests.unit.conftest import minimal_package

    directory.mkdir(parents=True, exist_ok=True)
    if TS48.exists():
        shutil.copy(TS48, directory / "TS48.der")
    else:
        # A Luhn-valid ICCID, as a real package's is: the ICCID sequence keeps the check digit.
        (directory / "TS48.der").write_bytes(minimal_package("8944123400000000013", "ts48"))
    return directory


@contextmanager
def https_smdp(pki: Path, profiles: Path, unique_iccids: bool = True):
    """(smdp, address host:port, connect_to) of a TLS SM-DP+ on 127.0.0.1, stopped after."""
    smdp = Smdp(SMDP_NAME, pki, profiles, iccids=IccidSequence() if unique_iccids else None)
    httpd = serve(smdp, "127.0.0.1", 0)
    port = httpd.server_address[1]
    smdp.port = port
    try:
        yield smdp, f"{SMDP_NAME}:{port}", f"127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def verified_https(pki: Path, connect_to: str, **kwargs) -> HttpsEs9:
    return HttpsEs9(sorted((pki / "CertificateIssuer").glob("CERT_CI_*.der")),
                    connect_to=connect_to, **kwargs)
