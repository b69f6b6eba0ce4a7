"""The profile downloads the tests make (SGP.22 3.1.3): the address the test SM-DP+ of the
``smdp`` (unit) and ``smdp_server`` (integration) fixtures answers to, the test SM-DP+ on
a loopback HTTPS port, and one download through pcscd with the project's LPA driver
(lpac's order and STORE DATA blocks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from euicc_tools.lpa.download import DownloadResult, download, https_es9
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve

ADDRESS = "smdp.test.example"


@contextmanager
def serving_smdp(pki: Path, profiles: Path, packages: dict[str, bytes],
                 address: str | None = ADDRESS) -> Iterator[tuple[Smdp, str]]:
    """The test SM-DP+ (tools/smdp) over HTTPS on a loopback port of its own, serving
    ``packages`` (matchingId -> UPP, written into ``profiles``) and whatever else
    ``profiles`` holds: (Smdp, "127.0.0.1:PORT"). ``address`` None: the SM-DP+'s address is
    that endpoint itself, so the notifications it asks for come back to it."""
    profiles.mkdir(exist_ok=True)
    for matching_id, package in packages.items():
        (profiles / f"{matching_id}.der").write_bytes(package)
    smdp = Smdp(address or "127.0.0.1", pki, profiles)
    httpd = serve(smdp, "127.0.0.1", 0, tls=True)
    endpoint = f"127.0.0.1:{httpd.server_address[1]}"
    if address is None:
        smdp.port, smdp.address = httpd.server_address[1], endpoint
    try:
        yield smdp, endpoint
    finally:
        httpd.shutdown()


def run_download(emulator, endpoint: str, matching_id: str, **kwargs) -> DownloadResult:
    """Download ``matching_id`` from the SM-DP+ at ``endpoint`` (HTTPS) into the card of
    ``emulator`` (euicc_tools.testkit.emulator_process.Emulator) through its reader."""
    link = PcscLink(emulator.reader)
    try:
        with Es10Client(link) as es10:
            return download(es10, https_es9(endpoint), ADDRESS, matching_id, **kwargs)
    finally:
        link.close()
