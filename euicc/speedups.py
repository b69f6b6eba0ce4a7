"""Compiled copies of the card's hot modules, used only while each matches its source.

The card's work on a profile download is Python: decoding the profile elements through
asn1tools (SGP.22 5.7.6 LoadBoundProfilePackage, SAIP 8), creating the files they describe,
packing them for the store. The modules named in :data:`MODULES` can be compiled with
Cython from their unchanged source (``python -m euicc_tools.speedups build``, which
``tools/setup.sh`` runs): the same code, without the interpreter's per-bytecode dispatch.
Nothing else changes: the same functions, classes, exceptions and values, every call into
asn1tools, ``cryptography`` and SQLite as before.

The compiled copies live outside the source tree, in one directory (``EUICC_SPEEDUPS``,
default ``<sys.prefix>/euicc-speedups``: the venv's, since a compiled module belongs to one
interpreter) with a manifest naming each module, the SHA-256 of the source it was compiled
from, and the interpreter it was built for. :func:`install` (run when the ``euicc`` package
is imported) puts a finder first on ``sys.meta_path`` that loads a module's compiled copy
only when the source the import system would load has that digest; a module edited since
the build runs from its source (:func:`status` counts it, and says how to rebuild). So an edit
is never shadowed by an old build, and ``EUICC_SPEEDUPS=off`` runs everything from source (to
profile the Python with cProfile, which does not see into compiled functions, or to step
through it in a debugger).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV = "EUICC_SPEEDUPS"
OFF = ("off", "0", "no", "none")
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
REBUILD_HINT = "rebuild them with: python -m euicc_tools.speedups build"

# What a TS.48 download runs through in the card (and in the project's LPA, whose work a
# fleet device adds): the card OS's command path, the ISD-R's ES10 and BPP handling, the
# ASN.1 tables and constraint walk over asn1tools, the interpreter and the store image.
MODULES = (
    "euicc.apdu",
    "euicc.applet",
    "euicc.card",
    "euicc.channels",
    "euicc.coding",
    "euicc.dispatch",
    "euicc.ins",
    "euicc.registry",
    "euicc.store",
    "euicc.store_image",
    "euicc.sw",
    "euicc.tlv",
    "euicc.trace",
    "euicc.asn1.compiled",
    "euicc.asn1.constraints",
    "euicc.asn1.dispatch",
    "euicc.asn1.fusion",
    "euicc.asn1.x690",
    "euicc.crypto.bsp",
    "euicc.fs.model",
    "euicc.ppi.files",
    "euicc.ppi.interpreter",
    "euicc.ppi.names",
    "euicc.ppi.placement",
    "euicc.ppi.secrets",
    "euicc.ppi.templates",
    "euicc_applets.isd_r.applet",
    "euicc_applets.isd_r.authentication",
    "euicc_applets.isd_r.bpp",
    "euicc_applets.isd_r.es10",
    "euicc_applets.isd_r.install",
    "euicc_applets.isd_r.notifications",
    "euicc_applets.isd_r.session",
    "euicc_applets.isd_r.store_data",
    "euicc_tools.fleet.device",
    "euicc_tools.lpa.download",
    "euicc_tools.lpa.es10",
    "euicc_tools.lpa.es9",
    "euicc_tools.lpa.link",
    "euicc_tools.lpa.notifications",
    "euicc_tools.lpa.operations",
    "euicc_tools.lpa.outcome",
)

log = logging.getLogger(__name__)


def directory() -> Path | None:
    """Where the compiled copies are (``EUICC_SPEEDUPS``), or None when it says off."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() in OFF:
        return None
    return Path(value) if value else Path(sys.prefix) / "euicc-speedups"


def interpreter_tag() -> str:
    """The interpreter a compiled module belongs to (its extension-module ABI)."""
    return f"{sys.implementation.cache_tag}-{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def source_spec(name: str, path=None):
    """The spec of ``name``'s source as the import system finds it without this finder:
    the finders after it (an editable install's, then the path finder), parent's ``path``."""
    for finder in sys.meta_path:
        if isinstance(finder, SpeedupsFinder) or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(name, path)
        if spec is not None:
            return spec
    return None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Status:
    """What the finder found: the directory, why nothing is used, what is compiled and
    what runs from source because it changed since the build."""

    directory: Path | None
    reason: str = ""  # why no compiled module is used, else ""
    cython: str = ""
    available: dict[str, Path] = field(default_factory=dict)  # name: compiled copy
    stale: list[str] = field(default_factory=list)

    def loaded(self) -> list[str]:
        """The modules imported so far from their compiled copies."""
        return [name for name in MODULES if _is_compiled(sys.modules.get(name))]

    def describe(self) -> str:
        """One line for logs and benchmark reports."""
        if self.reason:
            return f"pure Python ({self.reason})"
        stale = f", {len(self.stale)} changed since the build run from source " \
            f"({REBUILD_HINT})" if self.stale else ""
        return (f"{len(self.available)} of {len(MODULES)} hot modules compiled "
                f"(Cython {self.cython}){stale}")


def _is_compiled(module) -> bool:
    loader = getattr(getattr(module, "__spec__", None), "loader", None)
    return isinstance(loader, importlib.machinery.ExtensionFileLoader)


class SpeedupsFinder(importlib.abc.MetaPathFinder):
    """Loads the compiled copy of a module in the manifest whose source is unchanged."""

    def __init__(self, status: Status, digests: dict[str, str]) -> None:
        self.status = status
        self._digests = digests

    def find_spec(self, fullname, path=None, target=None):
        compiled = self.status.available.get(fullname)
        if compiled is None:
            return None
        source = source_spec(fullname, path)
        origin = getattr(source, "origin", None)
        try:
            unchanged = origin is not None and digest(Path(origin)) == self._digests[fullname]
        except OSError:
            unchanged = False
        if not unchanged:
            del self.status.available[fullname]
            self.status.stale.append(fullname)
            # not a warning: a developer's every edit would print it in every process (and
            # in the stderr tests compare); status() and the benchmarks' reports say it
            log.info("%s has changed since its compiled copy in %s was built: it runs "
                     "from its source; %s", fullname, self.status.directory, REBUILD_HINT)
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(compiled))
        return importlib.util.spec_from_file_location(fullname, compiled, loader=loader)


def read_manifest(where: Path) -> tuple[Status, dict[str, str]]:
    """The status of a speedups directory and the source digests it was built from."""
    status = Status(where)
    try:
        manifest = json.loads((where / MANIFEST).read_text())
    except FileNotFoundError:
        status.reason = f"none built in {where}; {REBUILD_HINT.replace('rebuild', 'build')}"
        return status, {}
    except (OSError, ValueError) as exc:
        status.reason = f"unreadable {where / MANIFEST}: {exc}"
        return status, {}
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        status.reason = f"{where / MANIFEST} is not a format {MANIFEST_FORMAT} manifest"
        return status, {}
    if manifest.get("interpreter") != interpreter_tag():
        status.reason = (f"built for {manifest.get('interpreter')}, this is "
                         f"{interpreter_tag()}; {REBUILD_HINT}")
        return status, {}
    status.cython = str(manifest.get("cython", "?"))
    digests = {}
    for name, entry in manifest.get("modules", {}).items():
        compiled = where / entry.get("path", "")
        if name in MODULES and compiled.is_file():
            status.available[name] = compiled
            digests[name] = entry.get("sha256", "")
    return status, digests


_STATUS: list[Status] = []  # the one install() made, for status()


def install() -> Status:
    """Put the finder first on ``sys.meta_path`` (once per process); what it will use."""
    if _STATUS:
        return _STATUS[0]
    where = directory()
    if where is None:
        status, digests = Status(None, reason=f"{ENV}={os.environ.get(ENV)}"), {}
    else:
        status, digests = read_manifest(where)
    if status.available:
        sys.meta_path.insert(0, SpeedupsFinder(status, digests))
    _STATUS.append(status)
    return status


def status() -> Status:
    return install()
