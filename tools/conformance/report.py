"""What a conformance run reports: JSON (everything, for tools), JUnit XML (for CI systems:
a test suite per group, a failure per failed case, skipped for not applicable) and one
self-contained HTML page (per case: the verdict, each expectation with its clause, the
decoded ES10/ES9+ timeline, what the card injected, the LPA's command and output)."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from .judge import CaseResult, Verdict, render

FAILED = (Verdict.FAIL, Verdict.ERROR)


def summary(results: list[CaseResult]) -> dict[str, int]:
    counts = Counter(r.verdict.value for r in results)
    return {v.value: counts.get(v.value, 0) for v in Verdict}


def case_record(result: CaseResult) -> dict:
    case, lpa = result.case, result.lpa
    start = result.timeline[0].time if result.timeline else 0.0
    return {
        "id": case.id, "group": case.group, "title": case.title,
        "operation": case.operation, "verdict": result.verdict.value,
        "reason": result.reason,
        "expectations": [{
            "text": r.expectation.describe(), "kind": r.expectation.kind,
            "clause": r.expectation.clause, "informational": r.expectation.informational,
            "builtin": r.expectation.builtin, "met": r.met, "detail": r.detail,
            "excerpt": r.excerpt} for r in result.results],
        "injected": result.injected,
        "findings": [{"packet": f.packet, "clause": f.clause, "text": f.text}
                     for f in result.findings],
        "timeline": [render(e, start) for e in result.timeline],
        "lpa": None if lpa is None else {
            "argv": lpa.argv, "exit": lpa.returncode, "timed_out": lpa.timed_out,
            "seconds": round(lpa.seconds, 3), "stdout": lpa.stdout, "stderr": lpa.stderr},
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
    }


def write_json(path: Path, adapter: str, results: list[CaseResult]) -> None:
    document = {"adapter": adapter, "summary": summary(results),
                "cases": [case_record(r) for r in results]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


def write_junit(path: Path, adapter: str, results: list[CaseResult]) -> None:
    suites = ET.Element("testsuites", name=f"euicc-emu conformance ({adapter})")
    groups: dict[str, list[CaseResult]] = {}
    for result in results:
        groups.setdefault(result.case.group, []).append(result)
    for group, members in groups.items():
        suite = ET.SubElement(suites, "testsuite", name=group, tests=str(len(members)),
                              failures=str(sum(r.verdict is Verdict.FAIL for r in members)),
                              errors=str(sum(r.verdict is Verdict.ERROR for r in members)),
                              skipped=str(sum(r.verdict is Verdict.NOT_APPLICABLE
                                              for r in members)))
        for result in members:
            seconds = result.lpa.seconds if result.lpa else 0.0
            element = ET.SubElement(suite, "testcase", classname=f"{adapter}.{group}",
                                    name=result.case.id, time=f"{seconds:.3f}")
            record = case_record(result)
            if result.verdict is Verdict.FAIL:
                failure = ET.SubElement(element, "failure", message=result.reason[:500])
                unmet = next(r for r in result.results
                             if not r.met and not r.expectation.informational)
                failure.text = "\n".join([unmet.expectation.clause, *unmet.excerpt])
            elif result.verdict is Verdict.ERROR:
                ET.SubElement(element, "error", message=result.reason[:500]).text = \
                    result.reason
            elif result.verdict is Verdict.NOT_APPLICABLE:
                ET.SubElement(element, "skipped", message=result.reason)
            ET.SubElement(element, "system-out").text = "\n".join(
                [f"verdict: {result.verdict.value}", *record["timeline"]])
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.pass{color:#176f2c}.fail,.error{color:#b00020}.informational{color:#7a5b00}
.not-applicable{color:#666}pre{background:#f5f5f5;padding:.5em;overflow-x:auto}
details{margin:.4em 0}summary{cursor:pointer}
"""


def write_html(path: Path, adapter: str, results: list[CaseResult]) -> None:
    e = html.escape
    counts = summary(results)
    rows = "".join(
        f"<tr><td><a href='#{e(r.case.id)}'>{e(r.case.id)}</a></td><td>{e(r.case.group)}"
        f"</td><td>{e(r.case.title)}</td><td class='{r.verdict.value}'>{r.verdict.value}"
        f"</td></tr>" for r in results)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Conformance: "
             f"{e(adapter)}</title><style>{STYLE}</style></head><body>",
             f"<h1>LPA conformance: {e(adapter)}</h1><p>" + ", ".join(
                 f"{n} {v}" for v, n in counts.items() if n) + "</p>",
             f"<table><tr><th>case</th><th>group</th><th>title</th><th>verdict</th></tr>"
             f"{rows}</table>"]
    for result in results:
        record = case_record(result)
        parts.append(f"<h2 id='{e(result.case.id)}'>{e(result.case.id)}: "
                     f"<span class='{result.verdict.value}'>{result.verdict.value}</span></h2>"
                     f"<p>{e(result.case.title)}</p>")
        if result.reason:
            parts.append(f"<p><b>{e(result.reason)}</b></p>")
        if record["expectations"]:
            parts.append("<table><tr><th>expectation</th><th>clause</th><th>result</th></tr>")
            for x in record["expectations"]:
                state = ("met" if x["met"] else "not met") + (
                    " (informational)" if x["informational"] else "")
                parts.append(f"<tr><td>{e(x['text'])}</td><td>{e(x['clause'])}</td>"
                             f"<td>{e(state)}: {e(x['detail'])}</td></tr>")
                if x["excerpt"] and not x["met"]:
                    parts.append(f"<tr><td colspan=3><pre>{e(chr(10).join(x['excerpt']))}"
                                 "</pre></td></tr>")
            parts.append("</table>")
        if record["injected"]:
            parts.append("<p>Injected: " + e("; ".join(record["injected"])) + "</p>")
        if record["timeline"]:
            parts.append("<details><summary>ES10 / ES9+ timeline</summary><pre>"
                         + e("\n".join(record["timeline"])) + "</pre></details>")
        lpa = record["lpa"]
        if lpa:
            parts.append(f"<details><summary>LPA: exit {lpa['exit']}, {lpa['seconds']} s"
                         f"</summary><pre>{e(' '.join(lpa['argv']))}\n\nstdout:\n"
                         f"{e(lpa['stdout'])}\nstderr:\n{e(lpa['stderr'])}</pre></details>")
    parts.append("</body></html>\n")
    path.write_text("".join(parts), encoding="utf-8")
