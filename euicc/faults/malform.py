"""Malformed answers on demand (the fault plan's ``malformed`` action), each a way a real card
or a faulty one breaks the rules an LPA must cope with.

Forms of the answer's data, for an ES10 response (SGP.22 5.7: one DER TLV of the function's
response type; ITU-T X.690 8.1, 10.1):

=================  =====================================================================
``truncated``      the TLV with its last content octet cut off (the length says more)
``wrong-tag``      the outer tag replaced by one that is no response of the function
``trailing``       two octets ('0000') after the TLV
``wrong-length``   the outer length one less than the contents (the last octet trails)
``invalid-der``    the outer length in a non-minimal long form ('82 00 nn'): BER, not DER
=================  =====================================================================

Forms of the R-APDU, applied where the card cuts a response into short APDUs
(ISO/IEC 7816-4 5.1.3 and 7.1.3 / ETSI TS 102 221 7.3.1.1.4: at most 256 octets per
response, the rest announced with '61xx'; ISO/IEC 7816-3 10.3.3 '6Cxx'):

=================  =====================================================================
``no-61xx``        the whole response in one R-APDU, even past 256 octets
``wrong-61xx``     '61xx' announcing 16 octets more than there are
``6cxx``           '6Cxx' (wrong Le, xx the right one) instead of the data; the command
                   sent again with Le = xx gets the answer it would have had
=================  =====================================================================
"""

from __future__ import annotations

from euicc.tlv import TlvError, encode_length, read_header, read_tag

DATA_FORMS = ("truncated", "wrong-tag", "trailing", "wrong-length", "invalid-der")
APDU_FORMS = ("no-61xx", "wrong-61xx", "6cxx")
FORMS = DATA_FORMS + APDU_FORMS

FOREIGN_TAG = bytes.fromhex("BF7F")  # [127] constructed: no SGP.22 response has it


def malformed_data(form: str, data: bytes) -> bytes:
    """``data`` (one TLV, or any octets) in the given :data:`DATA_FORMS` form. Data that is
    no TLV is still damaged: cut, extended, or given a foreign tag in front."""
    if form == "trailing":
        return data + b"\x00\x00"
    try:
        head = read_header(data)
        tag_length = read_tag(data)[1]
    except TlvError:
        head = None
    if head is None or head.total_length > len(data):
        if form == "wrong-tag":
            return FOREIGN_TAG + encode_length(len(data)) + data
        return data[:-1] if form == "truncated" else data + b"\x00"
    tag_octets = data[:tag_length]
    value = data[head.header_length:head.total_length]
    rest = data[head.total_length:]
    if form == "truncated":
        return data[:head.total_length - 1] + rest if value else data[:-1]
    if form == "wrong-tag":
        foreign = FOREIGN_TAG if len(tag_octets) > 1 else bytes([tag_octets[0] ^ 0x01])
        return foreign + data[tag_length:]
    if form == "wrong-length":
        if not value:  # nothing to leave out: say one octet more than there is
            return tag_octets + encode_length(1) + rest
        return tag_octets + encode_length(len(value) - 1) + value + rest
    if form == "invalid-der":
        return tag_octets + b"\x82" + len(value).to_bytes(2, "big") + value + rest
    raise ValueError(f"unknown data form {form!r}")
