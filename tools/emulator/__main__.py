"""python -m euicc_tools.emulator: the same as ``euicc-emu``."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
