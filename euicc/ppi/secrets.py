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

Blanking keeps every length, so the stored element is the received one with the secrets'
value octets zeroed. Where a walk of the element's TLVs finds each secret's value exactly
where a secret is (no other field holding the same octets), the zeros are written into a
copy of the element; otherwise the blanked value is encoded again. Both give the same bytes
(the tests hold them equal on every TS.48 package); the first costs less than half as much.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import asn1tools

from euicc.asn1 import Asn1Error, decode_exact, encode, encode_decoded, pe
from euicc.tlv import TlvError, read_header

log = logging.getLogger(__name__)


def _blank(value: dict, found: list[bytes], *names: str) -> dict:
    """A copy of ``value`` with the named secrets zeroed, their values added to ``found``;
    the rest shared, not copied (the caller's decoded value stays as it was: the
    interpreter's image holds it)."""
    value = dict(value)
    for name in names:
        if name in value:
            found.append(value[name])
            value[name] = bytes(len(value[name]))
    return value


def _pin_codes(value: dict, found: list[bytes]) -> dict:
    kind, codes = value["pinCodes"]
    if kind != "pinconfig":  # the other alternative, filePath, names another DF's PINs
        return value
    return {**value, "pinCodes": (kind, [_blank(pin, found, "pinValue") for pin in codes])}


def _puk_codes(value: dict, found: list[bytes]) -> dict:
    return {**value, "pukCodes": [_blank(puk, found, "pukValue") for puk in value["pukCodes"]]}


def _aka_parameter(value: dict, found: list[bytes]) -> dict:
    kind, algorithm = value["algoConfiguration"]
    if kind != "algoParameter":  # mappingParameter shares another NAA's: no key here
        return value
    return {**value, "algoConfiguration": (kind, _blank(algorithm, found, "key", "opc"))}


def _cdma_parameter(value: dict, found: list[bytes]) -> dict:
    return _blank(value, found, "authenticationKey", "ssd", "hrpdAccessAuthenticationData",
                  "simpleIPAuthenticationData", "mobileIPAuthenticationData")


def _security_domain(value: dict, found: list[bytes]) -> dict:
    if "keyList" not in value:
        return value
    return {**value, "keyList": [
        {**key, "keyComponents": [_blank(c, found, "keyData") for c in key["keyComponents"]]}
        for key in value["keyList"]]}


# ProfileElement alternatives that carry secrets, by their context tag (PEDefinitions has
# AUTOMATIC TAGS: pinCodes [2] .. securityDomain [6], constructed): the first octet tells an
# element that needs decoding from the many (file templates, files) that do not.
SECRET_FIELDS: dict[int, tuple[str, Callable[[dict, list[bytes]], dict]]] = {
    0xA2: ("pinCodes", _pin_codes),
    0xA3: ("pukCodes", _puk_codes),
    0xA4: ("akaParameter", _aka_parameter),
    0xA5: ("cdmaParameter", _cdma_parameter),
    0xA6: ("securityDomain", _security_domain),
}


SECRET_KINDS: dict[str, Callable[[dict, list[bytes]], dict]] = dict(SECRET_FIELDS.values())


def _primitive_values(element: bytes) -> list[tuple[int, int]] | None:
    """(offset, length) of the value of every primitive TLV in ``element``, down through its
    constructed ones (X.690 8.1.2.5: bit 6 of the first tag octet); None where the walk
    cannot tell (a length form it does not read, a TLV running past the one around it)."""
    found, pending, size = [], [(0, len(element))], len(element)
    while pending:
        offset, end = pending.pop()
        while offset < end:
            first = element[offset]
            length = element[offset + 1] if offset + 1 < size else 0x80
            if first & 0x1F != 0x1F and length < 0x80:  # one-octet tag and length, inline
                start = offset + 2
            else:
                try:
                    head = read_header(element, offset)
                except TlvError:
                    return None
                start, length = offset + head.header_length, head.length
            stop = start + length
            if stop > end:
                return None
            if first & 0x20:
                pending.append((start, stop))
            else:
                found.append((start, length))
            offset = stop
    return found


def _zeroed(element: bytes, secrets: list[bytes]) -> bytes | None:
    """``element`` with the value of each TLV that holds one of ``secrets`` zeroed: what
    re-encoding the blanked value gives, since blanking keeps every length. Only when the
    element's primitive TLVs with those values are exactly the secrets, as many of each
    value as there are secrets with it; else None (a field that happens to equal a secret,
    a secret the walk did not find): the caller re-encodes."""
    wanted: dict[bytes, int] = {}  # how many secrets have each value
    for secret in secrets:
        if any(secret):  # zeros stay zeros
            wanted[secret] = wanted.get(secret, 0) + 1
    if not wanted:
        return element
    element = bytes(element)
    lengths = {len(secret) for secret in wanted}
    spots = _primitive_values(element)
    if spots is None:
        return None
    spots = [(start, length) for start, length in spots
             if length in lengths and element[start:start + length] in wanted]
    seen: dict[bytes, int] = {}
    for start, length in spots:
        value = element[start:start + length]
        seen[value] = seen.get(value, 0) + 1
    if seen != wanted:
        return None
    out = bytearray(element)
    for start, length in spots:
        out[start:start + length] = bytes(length)
    return bytes(out)


def stored_form(kind: str, value, element: bytes) -> bytes:
    """The element as the store keeps it, from its value as the interpreter decoded it (no
    second decode): ``element`` itself where it has no secret, else with each secret zeroed,
    in its bytes where they show the secrets unambiguously (:func:`_zeroed`), otherwise
    re-encoded from the blanked value. The decoded value is left as it was (the
    interpreter's image holds it)."""
    blank = SECRET_KINDS.get(kind)
    if blank is None:
        return element
    try:  # blanking keeps every size: the decode's constraint checks still hold
        secrets: list[bytes] = []
        blanked = blank(value, secrets)
        zeroed = _zeroed(element, secrets)
        if zeroed is not None:
            return zeroed
        return encode_decoded(pe(), "ProfileElement", (kind, blanked))
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
        return encode(pe(), "ProfileElement", (kind, blank(value, [])))
    except (Asn1Error, asn1tools.Error, KeyError, ValueError) as exc:
        log.warning("a %s element is not stored (%s)", expected_kind, type(exc).__name__)
        return b""


def elements_without_secrets(elements: list[bytes]) -> list[bytes]:
    """:func:`blank_secrets` of each element, in order."""
    return [blank_secrets(e) for e in elements]
