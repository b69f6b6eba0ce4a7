"""MILENAGE, the 3GPP example set of authentication and key generation functions
f1, f1*, f2, f3, f4, f5 and f5* (3GPP TS 35.205 / 35.206; test data TS 35.207 / 35.208),
on AES-128 as the kernel function E_K.

    OPc = OP xor E_K(OP)
    TEMP = E_K(RAND xor OPc)
    OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF
    OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc for i = 2..5
    f1 = OUT1[0:8], f1* = OUT1[8:16], f2 = OUT2[8:16], f5 = OUT2[0:6],
    f3 = OUT3, f4 = OUT4, f5* = OUT5[0:6]

The rotations r1..r5 and constants c1..c5 are operator-configurable (TS 35.206 4.1; SAIP
``rotationConstants`` / ``xoringConstants``); the defaults are those of TS 35.206.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Default rotation amounts (bits) and constants of TS 35.206 4.1
R = (64, 0, 32, 64, 96)
C = tuple(bytes(15) + bytes([n]) for n in (0, 1, 2, 4, 8))


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _rot(block: bytes, bits: int) -> bytes:
    """Cyclic left rotation of a 128-bit block by ``bits``: TS 35.206 allows any r in 0..127,
    not only whole bytes (SAIP codes each of r1..r5 as one byte counting bits)."""
    value = int.from_bytes(block, "big")
    bits %= 128
    rotated = ((value << bits) | (value >> (128 - bits))) & ((1 << 128) - 1)
    return rotated.to_bytes(16, "big")


class Milenage:
    def __init__(self, k: bytes, op: bytes | None = None, opc: bytes | None = None,
                 r: tuple[int, ...] = R, c: tuple[bytes, ...] = C) -> None:
        if len(k) != 16 or (op is None) == (opc is None):
            raise ValueError("MILENAGE needs a 16-byte K and exactly one of OP and OPc")
        if len(r) != 5 or len(c) != 5 or any(len(ci) != 16 for ci in c):
            raise ValueError("MILENAGE needs five rotations r1..r5 and five 16-byte c1..c5")
        self._cipher = Cipher(algorithms.AES(k), modes.ECB())
        if opc is None:
            if len(op) != 16:
                raise ValueError("OP has 16 bytes")
            opc = _xor(op, self._e(op))
        elif len(opc) != 16:
            raise ValueError("OPc has 16 bytes")
        self.opc = opc
        self.r, self.c = tuple(r), tuple(c)

    def __repr__(self) -> str:  # K and OPc never reach a log
        return "Milenage(<secret>)"

    def _e(self, block: bytes) -> bytes:
        encryptor = self._cipher.encryptor()
        return encryptor.update(block) + encryptor.finalize()

    def _out(self, temp: bytes, i: int) -> bytes:
        return _xor(self._e(_xor(_rot(_xor(temp, self.opc), self.r[i - 1]), self.c[i - 1])),
                    self.opc)

    def _temp(self, rand: bytes) -> bytes:
        if len(rand) != 16:
            raise ValueError("RAND has 16 bytes")
        return self._e(_xor(rand, self.opc))

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> tuple[bytes, bytes]:
        """(MAC-A, MAC-S): f1 and f1* share OUT1 (TS 35.206 4.1)."""
        if len(sqn) != 6 or len(amf) != 2:
            raise ValueError("SQN has 6 bytes and AMF 2")
        temp = self._temp(rand)
        in1 = sqn + amf + sqn + amf
        out1 = _xor(self._e(_xor(_xor(temp, _rot(_xor(in1, self.opc), self.r[0])), self.c[0])),
                    self.opc)
        return out1[:8], out1[8:]

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        """(RES, CK, IK, AK)."""
        temp = self._temp(rand)
        out2 = self._out(temp, 2)
        return out2[8:], self._out(temp, 3), self._out(temp, 4), out2[:6]

    def f5star(self, rand: bytes) -> bytes:
        """AK for resynchronisation (AUTS)."""
        return self._out(self._temp(rand), 5)[:6]
