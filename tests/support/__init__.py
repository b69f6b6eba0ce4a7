"""Helpers of the test suite, one module per concern, imported as ``tests.support.<module>``.
Fixtures are not here: they live in the conftest.py files and are used by name. What the
benchmarks need as well (profile packages, the emulator process, ES9+ in-process, APDU
seeds) is part of the installed project, in ``euicc_tools.testkit``."""
