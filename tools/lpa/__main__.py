"""``python -m euicc_tools.lpa``: the same as ``euicc-lpa``."""

from .cli import main

raise SystemExit(main())
