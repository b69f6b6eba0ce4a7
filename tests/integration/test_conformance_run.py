"""The conformance runner through the real pcscd + vpcd (issue 12.4, its CI check): the
whole shipped catalogue against the project's own LPA (``euicc-lpa`` as a separate process,
like any LPA) passes, or is informational, or is not applicable by the catalogue's data;
the JUnit, JSON and HTML reports hold every case. An LPA that does nothing fails the cases
that need it to act, with the unmet expectation and exit status 1 (the judge can fail)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

from euicc_tools.conformance.case import read_catalogue

CLI = [sys.executable, "-m", "euicc_tools.emulator", "conformance"]


def run(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_the_whole_catalogue_with_the_projects_lpa(pcscd, tmp_path):
    junit, report, results = tmp_path / "j.xml", tmp_path / "r.html", tmp_path / "r.json"
    done = run("run", "--lpa", "euicc-lpa", "--junit", str(junit), "--report", str(report),
               "--json", str(results))
    assert done.returncode == 0, done.stderr[-4000:]
    cases = {c.id: c for c in read_catalogue()}
    document = json.loads(results.read_text())
    assert [c["id"] for c in document["cases"]] == list(cases)
    for record in document["cases"]:
        verdict = record["verdict"]
        assert verdict in ("pass", "informational", "not-applicable"), (
            record["id"], record["reason"])
        if verdict == "not-applicable":
            assert "euicc-lpa" in cases[record["id"]].not_applicable, record["id"]
    assert document["summary"]["pass"] >= 40
    suites = ET.parse(junit).getroot()
    assert sum(len(s.findall("testcase")) for s in suites) == len(cases)
    assert not suites.findall(".//failure") and not suites.findall(".//error")
    page = report.read_text()
    assert all(f"id='{case_id}'" in page for case_id in cases)
    assert f"[{len(cases):>3}/{len(cases)}]" in done.stderr  # progress on stderr


def test_an_lpa_that_does_nothing_fails(pcscd, tmp_path):
    adapter = tmp_path / "idle.toml"
    adapter.write_text('[adapter]\nname = "idle"\ncommand = ["true"]\n[operations]\n'
                       'info = []\ndownload = []\nnotifications-process = []\n')
    junit = tmp_path / "j.xml"
    done = run("run", "--lpa", str(adapter), "--case", "transport-info-baseline",
               "--case", "download-ok", "--case", "notif-process-one", "--case",
               "mgmt-enable-ok", "--junit", str(junit))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert any("transport-info-baseline: fail - called: ES10c.GetEID: called 0 time(s)" in line
               for line in lines), done.stderr
    assert any("download-ok: fail" in line for line in lines)
    assert any("notif-process-one: fail" in line for line in lines)
    assert any("mgmt-enable-ok: not-applicable - adapter idle has no enable operation" in line
               for line in lines)
    failures = ET.parse(junit).getroot().findall(".//failure")
    assert len(failures) == 3
    assert ET.parse(junit).getroot().findall(".//skipped")


def test_the_catalogue_lists_and_an_unknown_case_is_a_usage_error():
    listed = run("list", "--json")
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == len(read_catalogue()) >= 40
    unknown = run("run", "--lpa", "euicc-lpa", "--case", "no-such-case")
    assert unknown.returncode == 2
    assert "no case or group 'no-such-case'" in unknown.stderr
    bad = run("run", "--lpa", "no-such-lpa")
    assert bad.returncode == 2 and "not a built-in adapter" in bad.stderr
