"""Compiled ASN.1 modules kept between runs, so that a card starts in well under a second.

Parsing an ASN.1 module with asn1tools (pyparsing) takes about 0.4 s for the SGP.22 module
and 1 s for the SAIP PEDefinitions on the development machine, compiling the parsed form a
further 20 and 110 ms; loading the compiled specification from a pickle takes 3 and 20 ms.
:func:`load` returns ``(parsed module, compiled specification)`` for one ``.asn`` file and
codec, from a cache file when there is a valid one, else by parsing and compiling (and then
writing the cache file, atomically; a cache directory that cannot be written only costs the
time).

A cache file is named after the SHA-256 of everything the result depends on: the module's
text, the codec, the asn1tools and Python versions and :data:`CACHE_FORMAT`. It is read only
when it belongs to this user and nobody else may write it, and through an unpickler that
builds nothing but the asn1tools DER codec's type classes, the parsed module's plain data
and ``bytearray``: a planted file cannot make the card run anything else. A file that does
not load is compiled again and replaced.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

import asn1tools
import platformdirs

log = logging.getLogger(__name__)

CACHE_FORMAT = 1  # bump when what is pickled changes
_ALLOWED_MODULES = frozenset({
    "asn1tools.compiler", "asn1tools.codecs.ber", "asn1tools.codecs.der",
    "asn1tools.codecs.constraints_checker", "asn1tools.codecs.type_checker",
})
_ALLOWED_BUILTINS = frozenset({"bytearray"})


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/euicc-emu/asn1`` (``~/.cache/euicc-emu/asn1``)."""
    return Path(platformdirs.user_cache_dir("euicc-emu")) / "asn1"


class _SpecUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module in _ALLOWED_MODULES or (module == "builtins" and name in _ALLOWED_BUILTINS):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled module")


def cache_key(text: bytes, codec: str) -> str:
    digest = hashlib.sha256()
    for part in (text, codec.encode(), asn1tools.__version__.encode(),
                 sys.version.encode(), str(CACHE_FORMAT).encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:32]


def load(asn_file: Path | tuple[Path, ...], codec: str, directory: Path | None = None):
    """(parsed module dict, compiled Specification) of ``asn_file``, or of several files
    compiled as one specification (a module importing from another: SGP.32 from SGP.22)."""
    files = asn_file if isinstance(asn_file, tuple) else (asn_file,)
    text = b"\n".join(f.read_bytes() for f in files)
    directory = default_directory() if directory is None else directory
    stem = "+".join(f.stem for f in files)
    path = directory / f"{stem}-{codec}-{cache_key(text, codec)}.pickle"
    cached = _read(path)
    if cached is not None:
        return cached
    parsed = asn1tools.parse_string(text.decode("utf-8"))
    spec = asn1tools.compile_dict(copy.deepcopy(parsed), codec)  # compiling alters its input
    _write(path, (parsed, spec))
    return parsed, spec


def _read(path: Path):
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_uid != os.getuid() or status.st_mode & 0o022:
                log.warning("ignoring %s: not this user's or writable by others", path)
                return None
            value = _SpecUnpickler(io.BytesIO(handle.read())).load()
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any damage: compile again and replace it
        log.info("ASN.1 cache %s unusable (%s); compiling again", path, exc)
        return None
    if (not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], dict)
            or not isinstance(value[1], asn1tools.compiler.Specification)):
        log.info("ASN.1 cache %s holds something else; compiling again", path)
        return None
    return value


def _write(path: Path, value) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)  # readers see the old file or the whole new one
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        log.info("ASN.1 cache not written (%s): the module is compiled at every start", exc)
