"""A software eUICC (GSMA SGP.22) behind PC/SC."""

from .speedups import install as _install_speedups

__version__ = "0.1.0"

# Before any hot module is imported: their compiled copies, where built and unchanged
# (euicc.speedups; EUICC_SPEEDUPS=off runs all from source).
_install_speedups()
