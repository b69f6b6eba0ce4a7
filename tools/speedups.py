"""Build, or show, the compiled copies of the card's hot modules (:mod:`euicc.speedups`).

    python -m euicc_tools.speedups build [--into DIR] [--jobs N] [--only MODULE ...]
                                         [--if-changed]
    python -m euicc_tools.speedups status

``build`` compiles each module of ``euicc.speedups.MODULES`` from its source with Cython
(the ``speed`` extra: ``pip install -e '.[speed]'``) and the C compiler Python's own
extensions are built with, into ``DIR`` (default: ``EUICC_SPEEDUPS`` or
``<sys.prefix>/euicc-speedups``), and writes the manifest the card's finder reads: each
module's compiled file and the SHA-256 of the source it came from. The compiler sees plain
Python (``annotation_typing`` off: an annotation never becomes a C type, so every value
keeps its Python semantics). A module that does not compile is left out, and runs from its
source; the command says which and exits 1. The new directory replaces the old one only
once it is complete.

``status`` prints what a process started now would use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from euicc import speedups
from euicc.speedups import MANIFEST, MANIFEST_FORMAT, MODULES, digest, interpreter_tag

DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}


class BuildError(Exception):
    """Nothing could be built (no Cython, no compiler, no writable directory)."""


def source_of(name: str) -> Path:
    """The source file of a hot module, as its import would find it (not its compiled copy)."""
    parent, _, _ = name.rpartition(".")
    path = __import__(parent, fromlist=["_"]).__path__ if parent else None
    spec = speedups.source_spec(name, path)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise BuildError(f"no source file for {name}")
    return Path(spec.origin)


def _compile(name: str, source: Path, work: Path, into: Path) -> Path:
    """Cython, then the C compiler: the extension module of ``name`` under ``into``
    (``work``: this module's own scratch directory)."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    extension = Extension(name, [str(source)], optional=False)
    [extension] = cythonize([extension], build_dir=str(work / "c"), quiet=True,
                            compiler_directives=DIRECTIVES, force=True)
    distribution = Distribution({"ext_modules": [extension], "script_name": "speedups"})
    command = distribution.get_command_obj("build_ext")
    command.build_lib, command.build_temp = str(into), str(work / "o")
    command.ensure_finalized()
    command.run()
    return into / command.get_ext_filename(name)


def build(into: Path, names: list[str], jobs: int, out=sys.stdout) -> list[str]:
    """Build ``names`` into ``into`` (replacing it); the names that failed."""
    try:
        import Cython
    except ImportError:
        raise BuildError("Cython is not installed: pip install -e '.[speed]'") from None
    into = into.resolve()
    try:
        into.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=into.name + ".", dir=into.parent))
    except OSError as exc:
        raise BuildError(f"cannot write next to {into}: {exc.strerror}") from None
    modules, failed = {}, []
    try:
        with tempfile.TemporaryDirectory(prefix="euicc-speedups-") as work, \
                ProcessPoolExecutor(max(1, jobs)) as pool:
            sources = {name: source_of(name) for name in names}
            digests = {name: digest(source) for name, source in sources.items()}
            running = {name: pool.submit(_compile, name, source, Path(work) / name, staging)
                       for name, source in sources.items()}
            for name, job in running.items():
                try:
                    compiled = job.result()
                except Exception as exc:  # Cython's or the compiler's error: name it, go on
                    failed.append(name)
                    print(f"{name}: not compiled ({type(exc).__name__}: {exc})", file=out)
                    continue
                if digest(sources[name]) != digests[name]:  # edited while it compiled
                    failed.append(name)
                    print(f"{name}: changed while it compiled, left out", file=out)
                    continue
                modules[name] = {"path": str(compiled.relative_to(staging)),
                                 "sha256": digests[name]}
                print(f"{name}: compiled", file=out)
        manifest = {"format": MANIFEST_FORMAT, "interpreter": interpreter_tag(),
                    "cython": Cython.__version__, "modules": modules}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if into.exists():
            old = into.with_name(into.name + f".old-{os.getpid()}")
            into.rename(old)
            staging.rename(into)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(into)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return failed


def up_to_date(into: Path, names: list[str]) -> bool:
    """``into`` holds a build of ``names`` for this interpreter from their present source."""
    status, digests = speedups.read_manifest(into)
    if status.reason:
        return False
    try:
        return all(name in status.available and digests[name] == digest(source_of(name))
                   for name in names)
    except (OSError, BuildError):
        return False


def show_status() -> int:
    """What a process started now would use, and the modules edited since the build."""
    status = speedups.status()
    where = status.directory
    _, digests = speedups.read_manifest(where) if where is not None else (None, {})
    changed = [name for name in list(status.available)
               if digests.get(name) != digest(source_of(name))] + status.stale
    changed = sorted(set(changed))
    status.stale[:] = changed
    for name in changed:
        status.available.pop(name, None)
    print(status.describe())
    for name in changed:
        print(f"  {name}: changed since the build, runs from source")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m euicc_tools.speedups",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="compile the hot modules")
    make.add_argument("--into", type=Path, help="directory (default: EUICC_SPEEDUPS or "
                      "<sys.prefix>/euicc-speedups)")
    make.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                      help="modules compiled at once (default: one per CPU)")
    make.add_argument("--only", nargs="+", metavar="MODULE", choices=MODULES,
                      help="these modules only (default: all of euicc.speedups.MODULES)")
    make.add_argument("--if-changed", action="store_true",
                      help="only when a module's source, or the interpreter, changed since "
                      "the last build (tools/setup.sh)")
    commands.add_parser("status", help="what a process started now would use")
    args = parser.parse_args(argv)
    if args.command == "status":
        return show_status()
    into = args.into or speedups.directory()
    if into is None:
        parser.error(f"{speedups.ENV} is off: give --into DIR")
    names = list(args.only or MODULES)
    if args.if_changed and up_to_date(into, names):
        print(f"{len(names)} compiled modules in {into} are up to date")
        return 0
    try:
        failed = build(into, names, args.jobs)
    except BuildError as exc:
        print(f"speedups: {exc}", file=sys.stderr)
        return 2
    total = len(names)
    print(f"{total - len(failed)} of {total} modules compiled into {into}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
