"""Cryptographic building blocks of the eUICC (SGP.22 2.6 / 4.5): ECDSA, certificates and
the card's entropy (:mod:`euicc.crypto.entropy`)."""

from euicc.crypto.ecdsa import curve_name, der_to_raw, raw_to_der, sign_raw, verify_raw

__all__ = ["curve_name", "der_to_raw", "raw_to_der", "sign_raw", "verify_raw"]
