"""``euicc-emu conformance list`` and ``euicc-emu conformance run --lpa ADAPTER``: the case
catalogue, and running it against an LPA (:mod:`.runner`) with the reports of
:mod:`.report`. Exit status of ``run``: 0 when no case failed, 1 when one failed or could not
be run, 2 for a usage error (an unknown case, adapter or option)."""

from __future__ import annotations

import fnmatch
import json
import logging
import sys
import time
from pathlib import Path

from .adapter import AdapterError, builtin_adapters, load_adapter
from .case import CaseError, read_catalogue


def add_parser(sub) -> None:
    conformance = sub.add_parser("conformance", help="LPA conformance cases: list, run")
    verbs = conformance.add_subparsers(dest="conformance_command", required=True)
    listing = verbs.add_parser("list", help="the cases of the catalogue")
    listing.add_argument("--cases", type=Path, metavar="DIR",
                         help="a catalogue folder of your own (DIR/<group>/<case>.toml)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    run = verbs.add_parser("run", help="run cases against an LPA")
    run.add_argument("--lpa", required=True, metavar="ADAPTER",
                     help=f"a built-in adapter ({', '.join(builtin_adapters())}) or an "
                          "adapter file (.toml, see euicc_tools/conformance/adapter.py)")
    run.add_argument("--program", metavar="PATH",
                     help="the LPA's executable, instead of the adapter's first word")
    run.add_argument("--case", action="append", default=[], metavar="ID",
                     help="only this case (repeatable; shell patterns: 'download-*')")
    run.add_argument("--group", action="append", default=[], metavar="GROUP",
                     help="only the cases of this group (repeatable)")
    run.add_argument("--cases", type=Path, metavar="DIR", help="another catalogue folder")
    run.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    run.add_argument("--report", type=Path, metavar="FILE.html", help="write an HTML report")
    run.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    run.add_argument("--keep", type=Path, metavar="DIR",
                     help="work in DIR and keep each case's state, scenario and pcap there")
    run.set_defaults(func=cmd_run)


def _catalogue(args):
    try:
        return read_catalogue(args.cases)
    except CaseError as exc:
        print(f"euicc-emu conformance: {exc}", file=sys.stderr)
        return None


def cmd_list(args) -> int:
    cases = _catalogue(args)
    if cases is None:
        return 2
    if args.json:
        print(json.dumps([{"id": c.id, "group": c.group, "title": c.title,
                           "operation": c.operation, "not_applicable": c.not_applicable,
                           "file": str(c.path)} for c in cases], indent=2))
        return 0
    width = max((len(c.id) for c in cases), default=0)
    for case in cases:
        skip = "".join(f"  [not for {k}: {v}]" for k, v in case.not_applicable.items())
        print(f"{case.id:<{width}}  {case.group:<13} {case.operation:<21} {case.title}{skip}")
    print(f"{len(cases)} cases", file=sys.stderr)
    return 0


def _selected(cases, args):
    chosen = [c for c in cases if (not args.group or c.group in args.group)
              and (not args.case or any(fnmatch.fnmatchcase(c.id, p) for p in args.case))]
    unknown = [p for p in args.case if not any(fnmatch.fnmatchcase(c.id, p) for c in cases)]
    groups = {c.group for c in cases}
    unknown += [g for g in args.group if g not in groups]
    return chosen, unknown


def cmd_run(args) -> int:
    # the runner, the judge and the reports (the SM-DP+, the pcap reader, the profile
    # builder) load only for a run, not with every start of euicc-emu
    from .judge import Verdict
    from .report import FAILED, summary, write_html, write_json, write_junit
    from .runner import Runner, RunnerError

    cases = _catalogue(args)
    if cases is None:
        return 2
    # the SM-DP+'s request log would bury the progress lines: its calls are in the reports
    logging.getLogger("euicc_tools.smdp").setLevel(logging.WARNING)
    chosen, unknown = _selected(cases, args)
    if unknown:
        print(f"euicc-emu conformance: no case or group {unknown[0]!r} (see `euicc-emu "
              "conformance list`)", file=sys.stderr)
        return 2
    try:
        adapter = load_adapter(args.lpa).with_program(args.program)
    except AdapterError as exc:
        print(f"euicc-emu conformance: {exc}", file=sys.stderr)
        return 2
    try:
        runner = Runner(adapter, work=args.keep, keep=args.keep is not None)
    except RunnerError as exc:
        print(f"euicc-emu conformance: {exc}", file=sys.stderr)
        return 1
    results = []
    try:
        for number, case in enumerate(chosen, 1):
            started = time.perf_counter()
            try:
                result = runner.run(case)
            except RunnerError as exc:
                print(f"euicc-emu conformance: {exc}", file=sys.stderr)
                return 1
            results.append(result)
            line = f"[{number:>3}/{len(chosen)}] {case.id}: {result.verdict.value}"
            if result.verdict is not Verdict.PASS and result.reason:
                line += f" - {result.reason.splitlines()[0][:200]}"
            print(f"{line} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    finally:
        runner.close()
    for path, write in ((args.junit, write_junit), (args.json, write_json),
                        (args.report, write_html)):
        if path is not None:
            write(path, adapter.name, results)
    counts = summary(results)
    print(", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no case", file=sys.stderr)
    return 1 if any(r.verdict in FAILED for r in results) else 0
