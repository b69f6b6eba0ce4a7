"""What the tests and the benchmarks both drive the card with, installed with the project so
that neither needs the other's folder on ``sys.path``:

- :mod:`.profile_builder`: DER Unprotected Profile Packages from Python arguments (TCA eUICC
  Profile Package 3.3.1 PEDefinitions);
- :mod:`.sized_packages`: the TS.48 test profile or a built one, grown to a chosen size;
- :mod:`.shared_material`: where the read-only reference material (../shared) is;
- :mod:`.in_process_es9`: ES9+ straight into the test SM-DP+, without HTTPS;
- :mod:`.emulator_process`: ``euicc-emu`` as a real process, its log lines waited on, and a
  card of it in a vpcd slot of pcscd;
- :mod:`.apdu_corpus`: seeded random and mutated C-APDUs (ISO/IEC 7816-4 5.1) and their
  seeds.
"""
