"""TUAK (3GPP TS 35.231) against the conformance test sets of 3GPP TS 35.233 6.3-6.8 (test
sets 1-6, as transcribed in osmocom libosmocore tests/auth/tuak_test.c), and its Keccak-f[1600]
permutation against the SHAKE256 of Python's hashlib (an independent FIPS 202 implementation).
"""

import hashlib
from typing import NamedTuple

import pytest

from euicc_applets.naa.tuak import RATE_BYTES, Tuak, keccak_f1600

h = bytes.fromhex


class TuakSet(NamedTuple):
    number: int
    k: str
    rand: str
    sqn: str
    amf: str
    top: str
    keccak_iterations: int
    topc: str
    f1: str
    f1star: str
    f2: str
    f3: str
    f4: str
    f5: str
    f5star: str


# The sizes of MAC, RES, CK and IK are those of the expected outputs: set 1 K 128 / MAC 64 /
# RES 32; set 2 K 256 / MAC 128 / RES 64; set 3 MAC 256, IK 256; set 4 K 128, MAC, RES,
# CK, IK all 128; set 5 RES 256, CK 256; set 6 everything 256 and two Keccak iterations.
TS_35_233_TEST_SETS = [
    TuakSet(
        1, "abababababababababababababababab", "42424242424242424242424242424242",
        "111111111111", "ffff",
        "5555555555555555555555555555555555555555555555555555555555555555", 1,
        "bd04d9530e87513c5d837ac2ad954623a8e2330c115305a73eb45d1f40cccbff",
        "f9a54e6aeaa8618d", "e94b4dc6c7297df3", "657acd64",
        "d71a1e5c6caffe986a26f783e5c78be1", "be849fa2564f869aecee6f62d4337e72",
        "719f1e9b9054", "e7af6b3d0e38"),
    TuakSet(
        2, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0",
        "0123456789abcdef0123456789abcdef", "0123456789ab", "abcd",
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 1,
        "305425427e18c503c8a4b294ea72c95d0c36c6c6b29d0c65de5974d5977f8524",
        "c0b8c2d4148ec7aa5f1d78a97e4d1d58", "ef81af7290f7842c6ceafa537fa0745b",
        "e9d749dc4eea0035", "a4cb6f6529ab17f8337f27baa8234d47",
        "2274155ccf4199d5e2abcbf621907f90", "480a9345cc1e", "f84eb338848c"),
    TuakSet(
        3, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0",
        "0123456789abcdef0123456789abcdef", "0123456789ab", "abcd",
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", 1,
        "305425427e18c503c8a4b294ea72c95d0c36c6c6b29d0c65de5974d5977f8524",
        "d97b75a1776065271b1e212bc3b1bf173f438b21e6c64a55a96c372e085e5cc5",
        "427bbf07c6e3a86c54f8c5216499f3909a6fd4a164c9fe235b1550258111b821",
        "07021c73e7635c7d", "4d59ac796834eb85d11fa148a5058c3c",
        "126d47500136fdc5ddfd14f19ebf16749ce4b6435323fbb5715a3a796a6082bd",
        "1d6622c4e59a", "f84eb338848c"),
    TuakSet(
        4, "b8da837a50652d6ac7c97da14f6acc61", "6887e55425a966bd86c9661a5fa72be8",
        "0dea2ee2c5af", "df1e",
        "0952be13556c32ebc58195d9dd930493e12a9003669988ffde5fa1f0fe35cc01", 1,
        "2bc16eb657a68e1f446f08f57c0efb1d493527a2e652ce281eb6ca0e4487760a",
        "749214087958dd8f58bfcdf869d8ae3f", "619e865afe80e382aee13063f9dfb56d",
        "4041ce438e3e38e8aa96562eed83ac43", "3e3bc01bea0cd914c4c2c83ce2d92757",
        "666a8e6f577b1aa77b7fd53cebb8a3d6", "1f880d005119", "45e617d77fe5"),
    TuakSet(
        5, "1574ca56881d05c189c82880f789c9cd4244955f4426aa2b69c29f15770e5aa5",
        "c570aac68cde651fb1e3088322498bef", "c89bb71f3a41", "297d",
        "e59f6eb10ea406813f4991b0b9e02f181edf4c7e17b480f66d34da35ee88c95e", 1,
        "3c6052e41532a28a47aa3cbb89f223e8f3aaa976aecd48bc3e7d6165a55eff62",
        "d7340dad02b4cb01", "c6021e2e66accb15",
        "84d89b41db1867ffd4c7ba1d82163f4d526a20fbae5418fbb526940b1eeb905c",
        "d419676afe5ab58c1d8bee0d43523a4d2f52ef0b31a4676a0c334427a988fe65",
        "205533e505661b61d05cc0eac87818f4", "d7b3d2d4980a", "ca9655264986"),
    TuakSet(
        6, "1574ca56881d05c189c82880f789c9cd4244955f4426aa2b69c29f15770e5aa5",
        "c570aac68cde651fb1e3088322498bef", "c89bb71f3a41", "297d",
        "e59f6eb10ea406813f4991b0b9e02f181edf4c7e17b480f66d34da35ee88c95e", 2,
        "b04a66f26c62fcd6c82de22a179ab65506ecf47f56245cd149966cfa9cec7a51",
        "90d2289ed1ca1c3dbc2247bb480d431ac71d2e4a7677f6e997cfddb0cbad88b7",
        "427355dbac30e825063aba61b556e87583abac638e3ab01c4c884ad9d458dc2f",
        "d67e6e64590d22eecba7324afa4af4460c93f01b24506d6e12047d789a94c867",
        "ede57edfc57cdffe1aae75066a1b7479bbc3837438e88d37a801cccc9f972b89",
        "48ed9299126e5057402fe01f9201cf25249f9c5c0ed2afcf084755daff1d3999",
        "6aae8d18c448", "8c5f33b61f4e"),
]


def _tuak(ts: TuakSet, **secret: bytes) -> Tuak:
    return Tuak(h(ts.k), keccak_iterations=ts.keccak_iterations,
                mac_length=len(h(ts.f1)), res_length=len(h(ts.f2)),
                ck_length=len(h(ts.f3)), ik_length=len(h(ts.f4)), **secret)


ids = [f"set{ts.number}" for ts in TS_35_233_TEST_SETS]


@pytest.mark.parametrize("ts", TS_35_233_TEST_SETS, ids=ids)
def test_topc_from_top(ts):
    assert _tuak(ts, top=h(ts.top)).topc == h(ts.topc)


@pytest.mark.parametrize("ts", TS_35_233_TEST_SETS, ids=ids)
def test_f1_to_f5star(ts):
    tuak = _tuak(ts, topc=h(ts.topc))
    rand, sqn, amf = h(ts.rand), h(ts.sqn), h(ts.amf)
    assert tuak.f1(rand, sqn, amf) == h(ts.f1)
    assert tuak.f1star(rand, sqn, amf) == h(ts.f1star)
    assert tuak.f2345(rand) == (h(ts.f2), h(ts.f3), h(ts.f4), h(ts.f5))
    assert tuak.f5star(rand) == h(ts.f5star)


def test_the_sets_cover_every_size():
    sizes = {(len(h(ts.k)), len(h(ts.f1)), len(h(ts.f2)), len(h(ts.f3)), len(h(ts.f4)))
             for ts in TS_35_233_TEST_SETS}
    assert {k for k, *_ in sizes} == {16, 32}
    assert {mac for _, mac, *_ in sizes} == {8, 16, 32}
    assert {res for _, _, res, _, _ in sizes} == {4, 8, 16, 32}
    assert {ck for *_, ck, _ in sizes} == {16, 32} == {ik for *_, ik in sizes}


def test_keccak_f1600_is_the_fips202_permutation():
    # SHAKE256 has TUAK's rate (1088 bits) and padding ('1F' .. '80'): for a 96-byte message
    # its first output block is one permutation of the padded block, the next block a second.
    for seed in range(4):
        message = hashlib.sha512(bytes([seed])).digest() + hashlib.sha256(bytes([seed])).digest()
        state = message + b"\x1f" + bytes(RATE_BYTES - 98) + b"\x80" + bytes(64)
        once = keccak_f1600(state)
        shake = hashlib.shake_256(message).digest(2 * RATE_BYTES)
        assert once[:RATE_BYTES] == shake[:RATE_BYTES]
        assert keccak_f1600(once)[:RATE_BYTES] == shake[RATE_BYTES:]


def test_keccak_state_size_is_checked():
    with pytest.raises(ValueError):
        keccak_f1600(bytes(199))


def test_iterations_change_every_output():
    ts = TS_35_233_TEST_SETS[4]
    once, twice = _tuak(ts, topc=h(ts.topc)), Tuak(h(ts.k), topc=h(ts.topc), keccak_iterations=2,
                                                   mac_length=8, res_length=32, ck_length=32)
    assert once.f1(h(ts.rand), h(ts.sqn), h(ts.amf)) != twice.f1(h(ts.rand), h(ts.sqn), h(ts.amf))
    assert once.f5star(h(ts.rand)) != twice.f5star(h(ts.rand))


def test_instance_separates_the_functions():
    ts = TS_35_233_TEST_SETS[3]
    tuak = _tuak(ts, topc=h(ts.topc))
    rand, sqn, amf = h(ts.rand), h(ts.sqn), h(ts.amf)
    assert tuak.f1(rand, sqn, amf) != tuak.f1star(rand, sqn, amf)
    assert tuak.f2345(rand)[3] != tuak.f5star(rand)
    # the same MAC with another RES size is not a prefix: sizes are part of INSTANCE
    short = Tuak(h(ts.k), topc=h(ts.topc), mac_length=8)
    assert short.f1(rand, sqn, amf) != tuak.f1(rand, sqn, amf)[:8]


@pytest.mark.parametrize("kwargs", [
    {"k": bytes(24), "topc": bytes(32)},
    {"k": bytes(16)},
    {"k": bytes(16), "top": bytes(32), "topc": bytes(32)},
    {"k": bytes(16), "topc": bytes(16)},
    {"k": bytes(16), "topc": bytes(32), "mac_length": 4},
    {"k": bytes(16), "topc": bytes(32), "res_length": 12},
    {"k": bytes(16), "topc": bytes(32), "ck_length": 8},
    {"k": bytes(16), "topc": bytes(32), "ik_length": 24},
    {"k": bytes(16), "topc": bytes(32), "keccak_iterations": 0},
])
def test_bad_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Tuak(**kwargs)


def test_no_secrets_in_repr():
    ts = TS_35_233_TEST_SETS[1]
    text = repr(_tuak(ts, topc=h(ts.topc)))
    assert ts.k[:16] not in text and ts.topc[:16] not in text
    assert "mac=128" in text and "res=64" in text
