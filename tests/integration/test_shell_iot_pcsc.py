"""The shell beside a running IoT eUICC (`euicc-emu run --personality iot -vv`, SGP.32
v1.0) driven through the real pcscd and vpcd as an IPA drives it: after AddInitialEim
(5.9.4) and a signed LoadEuiccPackage (5.9.1) the shell shows the eIM, its counterValue and
the kept result; its `log` and the card's -vv log name the SGP.32 functions; a fault added
through the shell on LoadEuiccPackage answers its status word, marked in the log, and
changes nothing (the counterValue stays)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from euicc.asn1 import decode_exact, sgp32
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.eim import SampleEim
from euicc_tools.testkit.emulator_process import Emulator

pytestmark = pytest.mark.integration


def shell(state, command: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                           str(state), "-c", command], capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_the_shell_beside_a_running_iot_card(pcscd, tmp_path):
    state = tmp_path / "card"
    emulator = Emulator(state, extra=["--personality", "iot"], verbose=2).start()  # -vv
    eim = SampleEim(eim_id="eim.pcsc.example", counter=10)
    try:
        link = PcscLink(emulator.reader)
        es10 = Es10Client(link)
        es10.open()
        try:
            eid = es10.get_eid()
            answer = es10.store_data(eim.add_initial_eim_request(ask_token=True))
            _, [(_, eim.association_token)] = decode_exact(sgp32(), "AddInitialEimResponse",
                                                          answer)
            result = es10.store_data(eim.package(eid, [("getRAT", {})]))
            assert decode_exact(sgp32(), "EuiccPackageResult", result)[0] == \
                "euiccPackageResultSigned"
            code, out, err = shell(state, "fault add ES10b.LoadEuiccPackage status sw=6A88")
            assert code == 0, err
            with pytest.raises(CardError) as refused:
                es10.store_data(eim.package(eid, [("getRAT", {})]))
            assert refused.value.sw == 0x6A88
        finally:
            es10.close()
            link.close()
        code, out, err = shell(state, "eims --json")
        assert code == 0, err
        [shown] = json.loads(out)["eims"]
        # 11 accepted; the package the fault refused changed nothing (SGP.32 5.9.1)
        assert (shown["eimId"], shown["counterValue"]) == ("eim.pcsc.example", 11)
        assert shown["associationToken"] is not None
        code, out, _ = shell(state, "package_results")
        assert code == 0 and "counterValue 11" in out and "getRATResult" in out
        code, out, _ = shell(state, "iot")
        assert code == 0 and out.startswith("SGP.32                  v1.0")
        code, out, _ = shell(state, "log --count 40")
        assert code == 0
        for name in ("STORE DATA ES10b.AddInitialEim", "STORE DATA ES10b.LoadEuiccPackage"):
            assert name in out, out
        assert "6A88" in out and "[injected f1: status 6A88]" in out
    finally:
        emulator.stop()
    assert any("ES10b.LoadEuiccPackage" in line for line in emulator.log)  # the -vv log
    assert any("ES10b.AddInitialEim" in line for line in emulator.log)
