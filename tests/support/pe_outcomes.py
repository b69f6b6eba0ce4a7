"""What the card's decoder makes of a profile element (PEDefinitions ``ProfileElement``):
its value, or the refusal's message, for tests that hold it against another way of decoding
(asn1tools' member trial, its walk of every constraint)."""

from __future__ import annotations

from euicc.asn1 import Asn1Error, decode_known, pe
from euicc.tlv import split
from euicc_tools.testkit.sized_packages import base_package
from tests.support.saip_reading import PROFILES, shared_packages


def pe_outcome(data: bytes):
    """("value", (value, unknown)) or ("refused", message) of decoding ``data``."""
    try:
        return "value", decode_known(pe(), "ProfileElement", data)
    except Asn1Error as exc:
        return "refused", str(exc)


def package_elements(distinct: bool = False) -> list[bytes]:
    """The elements of the TS.48 packages of ../shared, else of a built package; with
    ``distinct``, each different element once (most recur from one package to the next)."""
    packages = [(PROFILES / name).read_bytes() for name in shared_packages()]
    elements = [e for package in packages or [base_package(None)[0]] for e in split(package)]
    return list(dict.fromkeys(elements)) if distinct else elements
