"""Profile elements without their secrets, as the card store keeps them (TCA eUICC Profile
Package 2.x/3.x: 8.6.1 PE-AKAParameter key and OPc, 8.6.2 PE-CDMAParameter keys, 8.7
PE-PINCodes / PE-PUKCodes values, 8.8 PE-SecurityDomain keyList key data; GlobalPlatform
Card Specification 11.1.9 key components).

Why the store keeps profile elements at all: the shell's ``profile`` command lists them
(header, templates, security domains with their AIDs and key counts, RFM TARs, applications),
and a profile stored before the card interpreted its elements is interpreted from them by
the schema migration (:mod:`euicc.migrations`). Neither needs a key's value: the interpreted
secrets live once, in the store's ``isdp_secrets`` rows (:mod:`euicc.store_image`). So each
secret field is replaced by zero bytes of its length before an element is stored; every other
field keeps its value. The blanking copies only the dictionaries on a secret's path (the rest
of the decoded value is shared with the interpreter's, which is not changed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import asn1tools

from euicc.asn1 import Asn1Error, decode_exact, encode, encode_decoded, pe

log = logging.getLogger(__name__)


def _blank(value: dict, *names: str) -> dict:
    """A copy of ``value`` with the named secrets zeroed; the rest shared, not copied (the
    caller's decoded value stays as it was: the interpreter's image holds it)."""
    value = dict(value)
    for name in names:
        if name in value:
            value[name] = bytes(len(value[name]))
    return value


def _pin_codes(value: dict) -> dict:
    kind, codes = value["pinCodes"]
    if kind != "pinconfig":  # the other alternative, filePath, names another DF's PINs
        return value
    return {**value, "pinCodes": (kind, [_blank(pin, "pinValue") for pin in codes])}


def _puk_codes(value: dict) -> dict:
    return {**value, "pukCodes": [_blank(puk, "pukValue") for puk in value["pukCodes"]]}


def _aka_parameter(value: dict) -> dict:
    kind, algorithm = value["algoConfiguration"]
    if kind != "algoParameter":  # mappingParameter shares another NAA's: no key here
        return value
    return {**value, "algoConfiguration": (kind, _blank(algorithm, "key", "opc"))}


def _cdma_parameter(value: dict) -> dict:
    return _blank(value, "authenticationKey", "ssd", "hrpdAccessAuthenticationData",
                  "simpleIPAuthenticationData", "mobileIPAuthenticationData")


def _security_domain(value: dict) -> dict:
    if "keyList" not in value:
        return value
    return {**value, "keyList": [
        {**key, "keyComponents": [_blank(c, "keyData") for c in key["keyComponents"]]}
        for key in value["keyList"]]}


# ProfileElement alternatives that carry secrets, by their context tag (PEDefinitions has
# AUTOMATIC TAGS: pinCodes [2] .. securityDomain [6], constructed): the first octet tells an
# element that needs decoding from the many (file templates, files) that do not.
SECRET_FIELDS: dict[int, tuple[str, Callable[[dict], dict]]] = {
    0xA2: ("pinCodes", _pin_codes),
    0xA3: ("pukCodes", _puk_codes),
    0xA4: ("akaParameter", _aka_parameter),
    0xA5: ("cdmaParameter", _cdma_parameter),
    0xA6: ("securityDomain", _security_domain),
}


SECRET_KINDS: dict[str, Callable[[dict], dict]] = dict(SECRET_FIELDS.values())


def stored_form(kind: str, value, element: bytes) -> bytes:
    """The element as the store keeps it, from its value as the interpreter decoded it (no
    second decode): ``element`` itself where it has no secret, else re-encoded with each
    secret zeroed. The decoded value is left as it was (the interpreter's image holds it)."""
    blank = SECRET_KINDS.get(kind)
    if blank is None:
        return element
    try:  # blanking keeps every size: the decode's constraint checks still hold
        return encode_decoded(pe(), "ProfileElement", (kind, blank(value)))
    except (Asn1Error, asn1tools.Error, KeyError, ValueError) as exc:
        log.warning("a %s element is not stored (%s)", kind, type(exc).__name__)
        return b""


def blank_secrets(element: bytes) -> bytes:
    """The element with every secret value zeroed; elements without secrets unchanged.
    An element with secrets that does not decode (or re-encode) is stored as nothing: it
    can show nothing in a listing, and its keys must not be kept."""
    entry = SECRET_FIELDS.get(element[0]) if element else None
    if entry is None:
        return element
    expected_kind, blank = entry
    try:
        kind, value = decode_exact(pe(), "ProfileElement", element)
        if kind != expected_kind:
            raise Asn1Error(f"tag {element[0]:02X} decodes as {kind}")
        return encode(pe(), "ProfileElement", (kind, blank(value)))
    except (Asn1Error, asn1tools.Error, KeyError, ValueError) as exc:
        log.warning("a %s element is not stored (%s)", expected_kind, type(exc).__name__)
        return b""


def elements_without_secrets(elements: list[bytes]) -> list[bytes]:
    """:func:`blank_secrets` of each element, in order."""
    return [blank_secrets(e) for e in elements]
