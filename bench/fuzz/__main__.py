"""Run one fuzz target under atheris (libFuzzer), or write the seed corpus.

    python -m bench.fuzz --list
    python -m bench.fuzz --make-corpus DIR [--target NAME]
    python -m bench.fuzz --target NAME [--runs N] [--corpus DIR] [--timeout S]
                         [--max-time S] [--keep-going --findings DIR] [-- LIBFUZZER_ARGS]

``--corpus DIR`` (default: a new temporary folder) gets the target's seeds when it has
none, and libFuzzer adds what it finds there. ``--timeout`` (default 1 s) makes an input
that runs longer a finding (a hang). Without ``--keep-going`` the first finding stops the
run (libFuzzer writes its input as ``crash-*``); with it, each new kind of finding (its
exception type and innermost project frame) is saved under ``--findings`` with its
traceback and the run carries on, so one long run reports them all.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import traceback
from pathlib import Path

INSTRUMENTED = ["euicc", "euicc_applets", "asn1tools", "bench.fuzz.targets"]


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause.__traceback__ is not None:
        frames = traceback.extract_tb(cause.__traceback__)
        exc = cause
    project = [f for f in frames if "/euicc/" in f.filename or "/applets/" in f.filename]
    where = project[-1] if project else frames[-1]
    return f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"


def keep_going(one, name: str, findings: Path):
    """Save each new kind of finding (input and traceback) and carry on."""
    findings.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()

    def wrapped(data: bytes) -> None:
        try:
            one(data)
        except Exception as exc:  # every escape is a finding; record it once per kind
            signature = _signature(exc)
            if signature in seen:
                return
            seen.add(signature)
            stem = findings / f"{name}-{hashlib.sha1(signature.encode()).hexdigest()[:10]}"
            stem.with_suffix(".bin").write_bytes(data)
            stem.with_suffix(".txt").write_text(
                f"{signature}\ninput: {data.hex()}\n\n" + "".join(traceback.format_exception(exc)))
            print(f"FINDING {name}: {signature} -> {stem}.bin", flush=True)

    return wrapped


def main(argv: list[str]) -> int:
    own, _, extra = (argv[: argv.index("--")], None, argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, None, [])
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--target")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--make-corpus", type=Path, metavar="DIR")
    parser.add_argument("--runs", type=int, default=-1)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--timeout", type=int, default=1)
    parser.add_argument("--max-time", type=int, default=0)
    parser.add_argument("--keep-going", action="store_true")
    parser.add_argument("--findings", type=Path, default=Path("fuzz-findings"))
    args = parser.parse_args(own)

    if args.list or args.make_corpus:
        from . import seeds, targets
        if args.list:
            for target in targets.TARGETS.values():
                print(f"{target.name:9} {target.summary}")
            return 0
        for name in [args.target] if args.target else list(targets.TARGETS):
            count = seeds.write_corpus(name, args.make_corpus / name)
            print(f"{name}: {count} seeds in {args.make_corpus / name}")
        return 0

    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED):
        from . import targets
    if args.target not in targets.TARGETS:
        parser.error(f"--target is one of {', '.join(targets.TARGETS)}")
    target = targets.TARGETS[args.target]
    one = target.make()
    corpus = args.corpus or Path(tempfile.mkdtemp(prefix=f"fuzz-{target.name}-"))
    if not corpus.is_dir() or not any(corpus.iterdir()):
        from . import seeds
        print(f"{seeds.write_corpus(target.name, corpus)} seeds in {corpus}", flush=True)
    if args.keep_going:
        one = keep_going(one, target.name, args.findings)
    fuzzer_args = [sys.argv[0], f"-runs={args.runs}", f"-timeout={args.timeout}",
                   f"-max_len={target.max_len}", "-print_final_stats=1", "-rss_limit_mb=4096"]
    if args.max_time:
        fuzzer_args.append(f"-max_total_time={args.max_time}")
    atheris.Setup([*fuzzer_args, *extra, str(corpus)], one)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
