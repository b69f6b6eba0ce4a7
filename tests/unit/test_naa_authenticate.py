"""AUTHENTICATE logic of the USIM / ISIM (TS 31.102 / 31.103 7.1, TS 33.102 6.3, 6.8.1.2 and
Annex C) and the TS 34.108 8.1.2 test algorithm.

Published values used: MILENAGE TS 35.208 test sets 1, 3 and 20; GSM-MILENAGE TS 55.205 test
sets 1 and 2 (SRES = c2(XRES), Kc = c3(CK, IK) of TS 35.208 sets 1 and 3, as hostap
tests/test-milenage.c lists them) and hostap's AUTS check on set 20; the XOR-3G vector of
osmo-hlr tests/auc (K 00..0F). The XOR example with RAND = pi is derived by hand from the
TS 34.108 definition (intermediate values in the comments).
"""

from dataclasses import replace

import pytest

from euicc.sw import SwError
from euicc_applets.naa.authenticate import (
    AuthenticateCommand,
    AuthSuccess,
    GsmAuthResult,
    MacFailure,
    MacFailureError,
    MilenageAka,
    SecurityContext,
    SyncFailure,
    authenticate_3g,
    authenticate_gsm,
    c2,
    c3,
    encode_response,
    parse_command_data,
)
from euicc_applets.naa.milenage import Milenage
from euicc_applets.naa.sqn import SqnState, SqnVerdict
from euicc_applets.naa.tuak import Tuak
from euicc_applets.naa.xor_test_algorithm import XorTestAlgorithm

h = bytes.fromhex

# TS 35.208 4.3.1 test set 1
SET1_K, SET1_OPC = h("465b5ce8b199b49faa5f0a2ee238a6bc"), h("cd63cb71954a9f4e48a5994e37a02baf")
SET1_RAND, SET1_SQN, SET1_AMF = h("23553cbe9637a89d218ae64dae47bf35"), h("ff9bb4d0b607"), h("b9b9")
SET1_MAC_A, SET1_AK = h("4a9ffac354dfafb3"), h("aa689c648370")
SET1_RES = h("a54211d5e3ba50bf")
SET1_CK, SET1_IK = h("b40ba9a3c58b2a05bbf0d987b21bf8cb"), h("f769bcd751044604127672711c6d3441")
SET1_SRES, SET1_KC = h("46f8416a"), h("eae4be823af9a08b")  # TS 55.205 test set 1

XOR_K = bytes(range(16))


def set1_milenage() -> MilenageAka:
    return MilenageAka(Milenage(SET1_K, opc=SET1_OPC))


def xor_bytes(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def network_autn(algo, rand: bytes, sqn: int, amf: bytes = h("8000")) -> bytes:
    """The HE/AuC side (TS 33.102 6.3.2): AUTN = (SQN xor AK) || AMF || MAC-A."""
    sqn_bytes = sqn.to_bytes(6, "big")
    ak = algo.f2345(rand)[3]
    return xor_bytes(sqn_bytes, ak) + amf + algo.f1(rand, sqn_bytes, amf)


def network_recover_sqn_ms(algo, rand: bytes, auts: bytes) -> int | None:
    """The AuC checking AUTS (TS 33.102 6.3.5): SQN_MS, or None when MAC-S is wrong."""
    sqn_ms = xor_bytes(auts[:6], algo.f5star(rand))
    if algo.f1star(rand, sqn_ms, bytes(2)) != auts[6:]:
        return None
    return int.from_bytes(sqn_ms, "big")


def sqn(seq: int, ind: int, ind_length: int = 5) -> int:
    return seq << ind_length | ind


# --- published vectors --------------------------------------------------------------------

def test_milenage_set1_autn_from_the_spec_values():
    autn = xor_bytes(SET1_SQN, SET1_AK) + SET1_AMF + SET1_MAC_A
    seq = int.from_bytes(SET1_SQN, "big") >> 5
    state = SqnState(seq_ms=(seq - 1,) * 32)  # a card that has seen SQNs just below
    result = authenticate_3g(set1_milenage(), state, SET1_RAND, autn)
    assert isinstance(result, AuthSuccess)
    assert (result.res, result.ck, result.ik, result.kc) == (SET1_RES, SET1_CK, SET1_IK, SET1_KC)
    assert result.sqn == int.from_bytes(SET1_SQN, "big")
    assert encode_response(result, include_kc=True) == (
        b"\xdb\x08" + SET1_RES + b"\x10" + SET1_CK + b"\x10" + SET1_IK + b"\x08" + SET1_KC)
    assert encode_response(result) == b"\xdb\x08" + SET1_RES + b"\x10" + SET1_CK + b"\x10" + SET1_IK


@pytest.mark.parametrize("k, opc, rand, sres, kc", [
    (SET1_K, SET1_OPC, SET1_RAND, SET1_SRES, SET1_KC),
    (h("fec86ba6eb707ed08905757b1bb44b8f"), h("1006020f0a478bf6b699f15c062e42b3"),
     h("9f7c8d021accf4db213ccff0c7f71a6a"), h("8c308a5e"), h("aa01739b8caa976d")),
])
def test_gsm_context_matches_ts_55_205(k, opc, rand, sres, kc):
    result = authenticate_gsm(MilenageAka(Milenage(k, opc=opc)), rand)
    assert (result.sres, result.kc) == (sres, kc)
    assert encode_response(result) == b"\x04" + sres + b"\x08" + kc
    sres_again, kc_again = result
    assert (sres_again, kc_again) == (sres, kc)


def test_auts_matches_hostap_milenage_set20():
    # TS 35.208 test set 20; hostap verifies AUTS 4f2039392ddd || 4bb4316ed4a14688 to carry
    # SQN_MS = 000000000001 (AK* = 4f2039392ddc, MAC-S with AMF 0000)
    algo = MilenageAka(Milenage(h("90dca4eda45b53cf0f12d7c9c3bc6a89"),
                                opc=h("cb9cccc4b9258e6dca4760379fb82581")))
    rand = h("9fddc72092c6ad036b6e464789315b78")
    state = SqnState(seq_ms=(1,), ind_length=0)  # SQN_MS = 1
    result = authenticate_3g(algo, state, rand, network_autn(algo, rand, 1))  # a replay
    assert result == SyncFailure(h("4f2039392ddd4bb4316ed4a14688"), SqnVerdict.ALREADY_USED)
    assert encode_response(result) == h("dc0e4f2039392ddd4bb4316ed4a14688")


def test_c2_c3_match_osmo_hlr_xor_vector():
    # osmo-hlr tests/auc, XOR-3G with K 00..0F, RAND b5039c57..: res, ck, ik -> sres, kc
    assert c2(h("b5029e54e0a256565d141032067cc047")) == h("0ec81877")
    assert c3(h("029e54e0a256565d141032067cc047b5"),
              h("9e54e0a256565d141032067cc047b502")) == h("98e880384887f9fe")


def test_c2_pads_short_res_and_c3_folds_halves():
    assert c2(h("01020304")) == h("01020304")
    assert c2(h("0102030410203040")) == h("11223344")
    assert c2(h("0102030405")) == h("04020304")  # 40 bits: zero bits pad on the right
    assert c3(bytes(8) + h("0102030405060708"), h("1000000000000000") + bytes(8)) == \
        h("1102030405060708")
    with pytest.raises(ValueError):
        c3(bytes(12), bytes(16))


# --- the TS 34.108 test algorithm ---------------------------------------------------------

# K = 000102..0F, RAND = 3243f6a8885a308d313198a2e0370734, SQN = 0000000003e5, AMF = 8000:
# XDOUT = K xor RAND = 3242f4ab8c5f368a393892a9ec3a093b
# CK = XDOUT bits 8..127,0..7; IK = bits 16..127,0..15; AK = bits 24..71 = ab8c5f368a39
# MAC = XDOUT[0..63] xor SQN||AMF = 3242f4ab8c5f368a xor 0000000003e58000 = 3242f4ab8fbab68a
# AUTN = SQN xor AK || AMF || MAC = ab8c5f3689dc || 8000 || 3242f4ab8fbab68a
# SRES = 3242f4ab ^ 8c5f368a ^ 393892a9 ^ ec3a093b = 6b1f59b3
# Kc = 42f4ab8c5f368a39 ^ 3892a9ec3a093b32 ^ f4ab8c5f368a3938 ^ 92a9ec3a093b3242 = 1c6462055a8eba71
XOR_RAND = h("3243f6a8885a308d313198a2e0370734")
XOR_XDOUT = h("3242f4ab8c5f368a393892a9ec3a093b")
XOR_AUTN = h("ab8c5f3689dc80003242f4ab8fbab68a")


def test_xor_functions_by_hand():
    algo = XorTestAlgorithm(XOR_K)
    res, ck, ik, ak = algo.f2345(XOR_RAND)
    assert res == XOR_XDOUT
    assert ck == h("42f4ab8c5f368a393892a9ec3a093b32")
    assert ik == h("f4ab8c5f368a393892a9ec3a093b3242")
    assert ak == h("ab8c5f368a39") == algo.f5star(XOR_RAND)
    mac = algo.f1(XOR_RAND, h("0000000003e5"), h("8000"))
    assert mac == h("3242f4ab8fbab68a") == algo.f1star(XOR_RAND, h("0000000003e5"), h("8000"))
    assert authenticate_gsm(algo, XOR_RAND) == GsmAuthResult(h("6b1f59b3"), h("1c6462055a8eba71"))


def test_xor_card_accepts_the_hand_made_autn():
    result = authenticate_3g(XorTestAlgorithm(XOR_K), SqnState(), XOR_RAND, XOR_AUTN)
    assert isinstance(result, AuthSuccess)
    assert result.res == XOR_XDOUT and result.kc == h("1c6462055a8eba71")
    assert result.sqn == 0x3E5 and result.sqn_state.seq_ms[5] == 31


def test_xor_auts_by_hand():
    # SQN_MS = 0000000003e5 (SEQ 31, IND 5): AUTS = (SQN_MS xor AK) || (XDOUT[0..63] xor
    # SQN_MS||0000) = ab8c5f3689dc || 3242f4ab8fba368a
    state = SqnState().accept(0x3E5)
    result = authenticate_3g(XorTestAlgorithm(XOR_K), state, XOR_RAND, XOR_AUTN)
    assert result == SyncFailure(h("ab8c5f3689dc3242f4ab8fba368a"), SqnVerdict.ALREADY_USED)


def test_xor_osmo_hlr_vector_with_sqn_check_skipped():
    # osmo-hlr: SQN 0, AMF 0000 -> autn 54e0a256565d0000b5029e54e0a25656, res, ck, ik, kc, sres
    algo, rand = XorTestAlgorithm(XOR_K), h("b5039c57e4a75051551d1a390a71ce48")
    autn = h("54e0a256565d0000b5029e54e0a25656")
    assert isinstance(authenticate_3g(algo, SqnState(), rand, autn), SyncFailure)  # SEQ 0 used
    result = authenticate_3g(algo, SqnState(check_sqn=False), rand, autn)
    assert isinstance(result, AuthSuccess)
    assert result.res == h("b5029e54e0a256565d141032067cc047")
    assert result.ck == h("029e54e0a256565d141032067cc047b5")
    assert result.ik == h("9e54e0a256565d141032067cc047b502")
    assert result.kc == h("98e880384887f9fe")
    assert authenticate_gsm(algo, rand).sres == h("0ec81877")


@pytest.mark.parametrize("res_length", [4, 8, 16])
def test_xor_res_length(res_length):
    assert XorTestAlgorithm(XOR_K, res_length).f2345(XOR_RAND)[0] == XOR_XDOUT[:res_length]


def test_xor_rejects_bad_parameters_and_hides_k():
    with pytest.raises(ValueError):
        XorTestAlgorithm(bytes(32))
    with pytest.raises(ValueError):
        XorTestAlgorithm(XOR_K, res_length=3)
    assert XOR_K.hex() not in repr(XorTestAlgorithm(XOR_K))


# --- round trips over every algorithm -----------------------------------------------------

ALGORITHMS = {
    "milenage-set3": lambda: MilenageAka(Milenage(h("fec86ba6eb707ed08905757b1bb44b8f"),
                                                  op=h("dbc59adcb6f9a0ef735477b7fadf8374"))),
    "tuak-set1": lambda: Tuak(h("ab" * 16), top=h("55" * 32), res_length=4),
    "tuak-set4-mac128": lambda: Tuak(h("b8da837a50652d6ac7c97da14f6acc61"),
                                     topc=h("2bc16eb657a68e1f446f08f57c0efb1d"
                                            "493527a2e652ce281eb6ca0e4487760a"),
                                     mac_length=16, res_length=16),
    "tuak-256bit-keys": lambda: Tuak(h("1f" * 32), top=h("e5" * 32), res_length=32,
                                     ck_length=32, ik_length=32, keccak_iterations=3),
    "xor": lambda: XorTestAlgorithm(XOR_K),
}
RAND = h("0123456789abcdef0123456789abcdef")


@pytest.fixture(params=sorted(ALGORITHMS))
def algo(request):
    return ALGORITHMS[request.param]()


def test_round_trip_success(algo):
    state = SqnState()
    autn = network_autn(algo, RAND, sqn(1, 0))
    result = authenticate_3g(algo, state, RAND, autn)
    xres, ck, ik, _ak = algo.f2345(RAND)
    assert isinstance(result, AuthSuccess)
    assert (result.res, result.ck, result.ik) == (xres, ck, ik)
    assert result.kc == c3(ck, ik) and len(result.kc) == 8
    assert result.sqn_state.seq_ms[0] == 1 and state.seq_ms[0] == 0  # the old state is kept
    gsm = authenticate_gsm(algo, RAND)
    assert (gsm.sres, gsm.kc) == (c2(xres), c3(ck, ik))


def test_replay_gives_auts_that_the_network_can_read(algo):
    accepted = authenticate_3g(algo, SqnState(), RAND, network_autn(algo, RAND, sqn(7, 3)))
    assert isinstance(accepted, AuthSuccess)
    replay = authenticate_3g(algo, accepted.sqn_state, RAND, network_autn(algo, RAND, sqn(7, 3)))
    assert isinstance(replay, SyncFailure) and replay.verdict is SqnVerdict.ALREADY_USED
    assert network_recover_sqn_ms(algo, RAND, replay.auts) == sqn(7, 3)
    forged = replay.auts[:-1] + bytes([replay.auts[-1] ^ 1])
    assert network_recover_sqn_ms(algo, RAND, forged) is None


@pytest.mark.parametrize("position", [0, 6, 8, -1])  # in SQN xor AK, in AMF, in MAC
def test_tampered_autn_is_a_mac_failure(algo, position):
    autn = bytearray(network_autn(algo, RAND, sqn(1, 0)))
    autn[position] ^= 0x01
    result = authenticate_3g(algo, SqnState(), RAND, bytes(autn))
    assert result == MacFailure()
    with pytest.raises(MacFailureError) as raised:
        encode_response(result)
    assert raised.value.sw == 0x9862


def test_short_autn_is_a_mac_failure(algo):
    autn = network_autn(algo, RAND, sqn(1, 0))
    assert authenticate_3g(algo, SqnState(), RAND, autn[:-1]) == MacFailure()
    assert authenticate_3g(algo, SqnState(), RAND, autn[:8]) == MacFailure()


def test_sqn_beyond_delta_is_a_sync_failure(algo):
    state = replace(SqnState.initial(), seq_ms=(100,) + (0,) * 31, delta=50)
    at_limit = authenticate_3g(algo, state, RAND, network_autn(algo, RAND, sqn(150, 1)))
    assert isinstance(at_limit, AuthSuccess)
    beyond = authenticate_3g(algo, state, RAND, network_autn(algo, RAND, sqn(151, 1)))
    assert isinstance(beyond, SyncFailure) and beyond.verdict is SqnVerdict.TOO_FAR_AHEAD
    assert network_recover_sqn_ms(algo, RAND, beyond.auts) == sqn(100, 0)


def test_amf_policy_can_refuse(algo):
    autn = network_autn(algo, RAND, sqn(1, 0), amf=h("0001"))
    def refuse_odd(amf: bytes) -> bool:
        return amf[1] & 1 == 0

    assert authenticate_3g(algo, SqnState(), RAND, autn, amf_check=refuse_odd) == MacFailure()
    assert isinstance(authenticate_3g(algo, SqnState(), RAND, autn), AuthSuccess)


# --- the SQN array (TS 33.102 Annex C) ----------------------------------------------------

def test_ind_array_accepts_out_of_order_sqns_in_other_slots():
    state = SqnState().accept(sqn(10, 3))
    assert state.check(sqn(5, 4)) is SqnVerdict.ACCEPTED  # lower SEQ, unused IND slot
    assert state.check(sqn(5, 3)) is SqnVerdict.ALREADY_USED
    assert state.check(sqn(10, 3)) is SqnVerdict.ALREADY_USED
    assert state.check(sqn(11, 3)) is SqnVerdict.ACCEPTED
    state = state.accept(sqn(5, 4))
    assert state.seq_ms[3:5] == (10, 5)
    assert state.sqn_ms == sqn(10, 3)  # the highest SEQ, with its own IND
    assert SqnState().sqn_ms == 0


def test_age_limit():
    state = SqnState(check_age_limit=True, age_limit=4).accept(sqn(100, 0))
    assert state.check(sqn(95, 1)) is SqnVerdict.TOO_OLD
    assert state.check(sqn(96, 1)) is SqnVerdict.ACCEPTED
    assert replace(state, check_age_limit=False).check(sqn(95, 1)) is SqnVerdict.ACCEPTED


def test_delta_check_can_be_switched_off():
    state = SqnState(delta=10)
    assert state.check(sqn(11, 0)) is SqnVerdict.TOO_FAR_AHEAD
    assert replace(state, check_delta=False).check(sqn(11, 0)) is SqnVerdict.ACCEPTED


def test_skipped_check_accepts_anything_but_never_lowers_the_array():
    state = SqnState(check_sqn=False).accept(sqn(20, 2))
    assert state.check(sqn(20, 2)) is SqnVerdict.ACCEPTED
    assert state.accept(sqn(3, 2)).seq_ms[2] == 20


def test_other_ind_lengths():
    state = SqnState.initial(ind_length=2).accept(sqn(9, 3, ind_length=2))
    assert len(state.seq_ms) == 4 and state.seq_ms[3] == 9
    assert state.sqn_ms == 9 << 2 | 3
    assert state.split(0xFFFF_FFFF_FFFF) == ((1 << 46) - 1, 3)


def test_sqn_state_serialisation_round_trip():
    state = SqnState(delta=12345, age_limit=678, check_delta=False,
                     check_age_limit=True).accept(sqn((1 << 43) - 1, 31)).accept(sqn(5, 0))
    data = state.to_bytes()
    assert len(data) == 15 + 32 * 6
    assert data[:3] == b"\x01\x05\x05"
    assert SqnState.from_bytes(data) == state
    small = SqnState.initial(ind_length=0, check_sqn=False).accept(77)
    assert SqnState.from_bytes(small.to_bytes()) == small


@pytest.mark.parametrize("data", [
    b"",
    b"\x02" + SqnState().to_bytes()[1:],  # unknown version
    SqnState().to_bytes()[:-1],  # entries do not match IND length
    SqnState().to_bytes()[:2] + b"\x80" + SqnState().to_bytes()[3:],  # unknown flag
    b"\x01\x0b\x07" + bytes(12),  # IND too long
])
def test_bad_sqn_state_bytes_are_rejected(data):
    with pytest.raises(ValueError):
        SqnState.from_bytes(data)


@pytest.mark.parametrize("kwargs", [
    {"seq_ms": (0,) * 31},
    {"seq_ms": (1 << 43,) + (0,) * 31},
    {"delta": 1 << 48},
    {"ind_length": 11, "seq_ms": (0,) * 2048},
])
def test_bad_sqn_state_fields_are_rejected(kwargs):
    with pytest.raises(ValueError):
        SqnState(**kwargs)


# --- command data -------------------------------------------------------------------------

AUTN16 = bytes(range(16))


def test_parse_3g_and_gsm_command_data():
    assert parse_command_data(0x81, b"\x10" + RAND + b"\x10" + AUTN16) == \
        AuthenticateCommand(SecurityContext.UMTS, RAND, AUTN16)
    assert parse_command_data(0x80, b"\x10" + RAND) == \
        AuthenticateCommand(SecurityContext.GSM, RAND, None)
    long_autn = bytes(24)  # TUAK with a 128-bit MAC
    assert parse_command_data(0x81, b"\x10" + RAND + b"\x18" + long_autn).autn == long_autn


@pytest.mark.parametrize("p2, data, sw", [
    (0x81, b"\x10" + RAND + b"\x10" + AUTN16 + b"\x00", 0x6A80),  # trailing byte
    (0x81, b"\x10" + RAND + b"\x11" + AUTN16, 0x6A80),  # AUTN runs past the end
    (0x81, b"\x10" + RAND, 0x6A80),  # no AUTN in the 3G context
    (0x80, b"\x08" + RAND[:8], 0x6A80),  # RAND of 8 bytes
    (0x80, b"\x10" + RAND + b"\x10" + AUTN16, 0x6A80),  # AUTN in the GSM context
    (0x80, b"", 0x6A80),
    (0x84, b"\x10" + RAND, 0x9864),  # GBA context: not supported
    (0x83, b"\x10" + RAND, 0x6A86),  # RFU context
    (0x01, b"\x10" + RAND, 0x6A86),  # b8 = 0
])
def test_bad_command_data(p2, data, sw):
    with pytest.raises(SwError) as raised:
        parse_command_data(p2, data)
    assert raised.value.sw == sw


def test_isim_offers_only_the_aka_context():
    isim = frozenset({SecurityContext.UMTS})
    assert parse_command_data(0x81, b"\x10" + RAND + b"\x10" + AUTN16, isim).autn == AUTN16
    with pytest.raises(SwError) as raised:
        parse_command_data(0x80, b"\x10" + RAND, isim)
    assert raised.value.sw == 0x9864


def test_isim_response_has_no_kc():
    algo = XorTestAlgorithm(XOR_K)
    result = authenticate_3g(algo, SqnState(), XOR_RAND, XOR_AUTN)
    assert encode_response(result, include_kc=False) == (
        b"\xdb\x10" + result.res + b"\x10" + result.ck + b"\x10" + result.ik)


def test_results_hide_keys_in_repr():
    result = authenticate_3g(set1_milenage(), SqnState(check_sqn=False), SET1_RAND,
                             xor_bytes(SET1_SQN, SET1_AK) + SET1_AMF + SET1_MAC_A)
    assert repr(result) == f"AuthSuccess(sqn={int.from_bytes(SET1_SQN, 'big')})"
    assert repr(authenticate_gsm(set1_milenage(), SET1_RAND)) == "GsmAuthResult()"
    assert repr(set1_milenage()) == "MilenageAka(<secret>)"
