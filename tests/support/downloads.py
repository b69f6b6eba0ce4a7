"""The profile downloads the tests make (SGP.22 3.1.3): the address the test SM-DP+ of the
``smdp`` (unit) and ``smdp_server`` (integration) fixtures answers to, and one download
through pcscd with the project's LPA driver (lpac's order and STORE DATA blocks)."""

from __future__ import annotations

from euicc_tools.lpa.download import DownloadResult, download, https_es9
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink

ADDRESS = "smdp.test.example"


def run_download(emulator, endpoint: str, matching_id: str, **kwargs) -> DownloadResult:
    """Download ``matching_id`` from the SM-DP+ at ``endpoint`` (HTTPS) into the card of
    ``emulator`` (euicc_tools.testkit.emulator_process.Emulator) through its reader."""
    link = PcscLink(emulator.reader)
    try:
        with Es10Client(link) as es10:
            return download(es10, https_es9(endpoint), ADDRESS, matching_id, **kwargs)
    finally:
        link.close()
