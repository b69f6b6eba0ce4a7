"""The stored form of profile elements with secrets (TCA eUICC Profile Package 8.6.1
PE-AKAParameter, 8.7 PE-PINCodes / PE-PUKCodes, 8.8 PE-SecurityDomain): the secrets zeroed
in what is stored, the interpreter's decoded value untouched."""

import copy

from euicc.asn1 import decode_exact, pe
from euicc.ppi.secrets import SECRET_KINDS, blank_secrets, stored_form
from euicc.tlv import split
from euicc_tools.testkit.profile_builder import build_upp

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
