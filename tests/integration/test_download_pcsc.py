"""Profile download through the real stack: the project's test SM-DP+ over HTTPS, the LPA
driver on pyscard -> pcscd -> vpcd -> the emulator process (SGP.22 3.1.3). TS.48 test
profiles (when shared/ is present) and a profile the test builds; a download killed
midway (kill -9) leaves nothing after restart. Every package of ../shared/profiles and its
subfolders (the TS.48 V5 generation in ts48v5/) goes through the SM-DP+."""

from __future__ import annotations

import signal

import pytest

from euicc.store import CardStore
from euicc_tools.lpa.download import DownloadError
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from tests.support.downloads import run_download


def test_downloads_through_pcscd(emulator, smdp_server):
    smdp, endpoint = smdp_server
    matching_ids = ["BUILT"] + sorted(p.stem for p in smdp.profiles.glob("TS48*.der"))
    for matching_id in matching_ids:
        result = run_download(emulator, endpoint, matching_id)
        assert result.ok, (matching_id, result.result)
    link = PcscLink(emulator.reader)
    with Es10Client(link) as es10:
        _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
        _, notes = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    link.close()
    assert sorted(i["profileName"] for i in infos) == sorted(matching_ids)
    assert len(notes) == len(matching_ids)


def test_download_killed_midway_leaves_nothing(emulator, smdp_server):
    smdp, endpoint = smdp_server
    with pytest.raises(DownloadError):  # the LPA stops after InitialiseSecureChannel + A0
        run_download(emulator, endpoint, "BUILT", cut=lambda pieces: pieces[:2])
    emulator.stop(signal.SIGKILL)
    store = CardStore(emulator.state)
    assert store.profiles() == []
    store.close()
    emulator.start()
    assert run_download(emulator, endpoint, "BUILT").ok
