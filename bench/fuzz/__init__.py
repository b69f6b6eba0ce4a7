"""Coverage-guided fuzzing (atheris / libFuzzer) of every parser that takes bytes from
outside the card: C-APDUs (ISO/IEC 7816-4 5.1), whole APDU sequences through
``Card.transmit``, each ES10 request (SGP.22 5.7), the Bound Profile Package stream (SGP.22
2.5.5, cut anywhere), each profile element (TCA eUICC Profile Package 8), the FCP merge of
template files (SAIP 8.3.2 / TS 102 222 6.3) and the vpcd framing (vsmartcard vpcd).

    python -m bench.fuzz --list
    python -m bench.fuzz --target apdu --runs 1000000 --corpus /tmp/fuzz-corpus
    python -m bench.fuzz --make-corpus /tmp/fuzz-corpus

Lives outside the test suite; ``tests/unit/test_fuzz_targets.py`` runs each target for a
few seconds on its seed corpus. Figures of the long runs are in ``results.md``.
"""
