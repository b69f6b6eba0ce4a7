"""The stored form of profile elements with secrets (TCA eUICC Profile Package 8.6.1
PE-AKAParameter, 8.7 PE-PINCodes / PE-PUKCodes, 8.8 PE-SecurityDomain): the secrets zeroed
in what is stored, the interpreter's decoded value untouched."""

import copy

from euicc.asn1 import decode_exact, encode, pe
from euicc.ppi.secrets import SECRET_KINDS, _zeroed, blank_secrets, stored_form
from euicc.tlv import split, tlv
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.saip_reading import PROFILES, shared_packages

K, OPC = bytes.fromhex("8F3E5A61C2D94B07E1A6355C90D2F4B8"), bytes(range(0xA0, 0xB0))


def test_stored_form_zeroes_secrets_and_leaves_the_decoded_value():
    elements = split(build_upp("8944123400000000029", "001010000000029", k=K, opc=OPC))
    with_secrets = 0
    for element in elements:
        kind, value = decode_exact(pe(), "ProfileElement", element)
        before = copy.deepcopy(value)
        stored = stored_form(kind, value, element)
        assert value == before  # the image the interpreter builds keeps the real values
        assert stored == blank_secrets(element)  # one answer, from the value or the bytes
        if kind in SECRET_KINDS:
            with_secrets += 1
            assert stored != element and len(stored) == len(element)
            assert K not in stored and OPC not in stored
        else:
            assert stored is element
    assert with_secrets >= 3  # PINs, PUKs, the AKA keys at least


def test_every_shared_and_built_package_stores_what_re_encoding_stores():
    """The stored form zeroes the secrets in the element's bytes where it can tell them
    (euicc.ppi.secrets._zeroed): every element with secrets of every TS.48 package of
    ../shared (or, without it, of a built profile) is stored as the blanked value's own
    encoding, the way it was stored before."""
    packages = [(PROFILES / name).read_bytes() for name in shared_packages()]
    packages.append(build_upp("8944123400000000029", "001010000000029", k=K, opc=OPC,
                              include=("mf", "usim", "isim", "securityDomain")))
    checked = 0
    for package in packages:
        for element in split(package):
            kind, value = decode_exact(pe(), "ProfileElement", element)
            if kind not in SECRET_KINDS:
                continue
            reencoded = encode(pe(), "ProfileElement", (kind, SECRET_KINDS[kind](value, [])))
            assert stored_form(kind, value, element) == reencoded, kind
            checked += 1
    assert checked >= 4


def test_zeroing_in_place_only_where_the_secrets_are_unambiguous():
    """_zeroed walks the element's TLVs (X.690 8.1.2.5 constructed bit): it zeroes the
    primitive values that are the secrets, and gives up (None: the caller re-encodes)
    when another field holds a secret's value, a secret is not found, or the walk cannot
    read the element."""
    secret = bytes.fromhex("1122334455667788")
    other = bytes.fromhex("0102")
    element = tlv(0xA2, tlv(0x80, other) + tlv(0xA1, tlv(0x81, secret) + tlv(0x82, other)))
    zeroed = _zeroed(element, [secret])
    assert zeroed == element.replace(secret, bytes(8)) and secret not in zeroed
    # a non-secret field with a secret's value: which one is the secret is not known here
    twice = tlv(0xA2, tlv(0x80, secret) + tlv(0xA1, tlv(0x81, secret)))
    assert _zeroed(twice, [secret]) is None
    assert _zeroed(twice, [secret, secret]) == tlv(0xA2, tlv(0x80, bytes(8))
                                                   + tlv(0xA1, tlv(0x81, bytes(8))))
    assert _zeroed(element, [bytes.fromhex("99" * 8)]) is None  # not in the element
    assert _zeroed(element, [bytes(8), b""]) == element  # nothing to zero
    assert _zeroed(b"\xa2\x80" + tlv(0x81, secret) + b"\x00\x00", [secret]) is None
    assert _zeroed(tlv(0xA2, tlv(0x81, secret))[:-1], [secret]) is None  # cut short
