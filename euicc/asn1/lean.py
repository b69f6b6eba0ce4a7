"""asn1tools without the parts the card never runs.

``import asn1tools`` loads every codec and the package's own command line: prompt_toolkit
for its interactive shell (about 16 MB resident) and the PER and UPER codecs, whose
BMPString alphabet tables are built at import (about 13 MB). The card uses the DER codec of
the SGP.22 and SAIP modules only (SGP.22 Annex H, SAIP 8). :func:`import_asn1tools` imports
the package with

- the PER/UPER codecs and the C/Rust source generators as deferred modules: each is
  executed the first time one of its names is looked up, so a process that does compile a
  PER specification still gets them. (:class:`importlib.util.LazyLoader` does not stay
  lazy here: the import system reads ``__spec__`` of a module found in ``sys.modules``,
  which makes a LazyLoader module load at once.)
- prompt_toolkit hidden while asn1tools is imported, which asn1tools treats as absent (its
  ``asn1tools shell`` is then unavailable in this process); a prompt_toolkit that is
  already loaded, or imported later by someone else, is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

DEFERRED_MODULES = ("codecs/per", "codecs/uper", "source/c", "source/rust")
HIDDEN = "prompt_toolkit"


class _Deferred(ModuleType):
    """A module whose code runs when a name it does not have yet is looked up."""

    def __getattr__(self, name: str):
        self.__class__ = ModuleType  # from now on an ordinary module
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def _defer(package_dir: Path, relative: str) -> None:
    name = "asn1tools." + relative.replace("/", ".")
    if name in sys.modules:
        return
    path = package_dir / f"{relative}.py"
    is_package = not path.exists()
    if is_package:
        path = package_dir / relative / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if is_package else None)
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module


def import_asn1tools() -> ModuleType:
    if "asn1tools" in sys.modules:
        return sys.modules["asn1tools"]
    found = importlib.util.find_spec("asn1tools")  # a top-level find imports nothing
    package_dir = Path(found.submodule_search_locations[0])
    for relative in DEFERRED_MODULES:
        _defer(package_dir, relative)
    hide = HIDDEN not in sys.modules
    if hide:
        sys.modules[HIDDEN] = None  # "import prompt_toolkit" raises ImportError
    try:
        import asn1tools
    finally:
        if hide and sys.modules.get(HIDDEN, ...) is None:
            del sys.modules[HIDDEN]
    return asn1tools
