"""MILENAGE against 3GPP TS 35.208 test set 1 (and OPc derivation of TS 35.206)."""

from applets.milenage import Milenage

h = bytes.fromhex

# TS 35.208 4.3.1 test set 1
K = h("465b5ce8b199b49faa5f0a2ee238a6bc")
RAND = h("23553cbe9637a89d218ae64dae47bf35")
SQN = h("ff9bb4d0b607")
AMF = h("b9b9")
OP = h("cdc202d5123e20f62b6d676ac72cb318")
OPC = h("cd63cb71954a9f4e48a5994e37a02baf")


def test_opc():
    assert Milenage(K, op=OP).opc == OPC


def test_test_set_1():
    m = Milenage(K, opc=OPC)
    assert m.f1(RAND, SQN, AMF) == (h("4a9ffac354dfafb3"), h("01cfaf9ec4e871e9"))
    res, ck, ik, ak = m.f2345(RAND)
    assert res == h("a54211d5e3ba50bf")
    assert ck == h("b40ba9a3c58b2a05bbf0d987b21bf8cb")
    assert ik == h("f769bcd751044604127672711c6d3441")
    assert ak == h("aa689c648370")
    assert m.f5star(RAND) == h("451e8beca43b")


def test_no_secrets_in_repr():
    assert K.hex() not in repr(Milenage(K, opc=OPC))
