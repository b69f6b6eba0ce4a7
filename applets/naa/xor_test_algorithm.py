"""The test algorithm for authentication of the test USIM (3GPP TS 34.108 8.1.2), the
``usim-test-algorithm`` of a SAIP akaParameter (GSMA TS.48 test profiles use it).

Everything is XOR and bit selection on a 128-bit K (TS 34.108 8.1.2.1), bit 0 being the
most significant bit of the first byte:

    XDOUT = K xor RAND                                           (step 1)
    RES   = f2(XDOUT, n) = XDOUT[bits 0 .. n-1]                  (step 2)
    CK    = f3(XDOUT)    = XDOUT[bits 8 .. 127, 0 .. 7]
    IK    = f4(XDOUT)    = XDOUT[bits 16 .. 127, 0 .. 15]
    AK    = f5(XDOUT)    = XDOUT[bits 24 .. 71]
    CDOUT = SQN || AMF                                           (step 3)
    MAC   = f1(XDOUT, CDOUT) = XDOUT[bits 0 .. 63] xor CDOUT     (step 4)

For resynchronisation (TS 34.108 8.1.2.2) the same definitions serve as f1* and f5*:
MAC-S = XDOUT[bits 0 .. 63] xor (SQN_MS || AMF) and AK = XDOUT[bits 24 .. 71]; the card uses
AMF = '0000' there as for any algorithm (TS 33.102 6.3.3).

RES has n bits, 32 <= n <= 128 (a whole number of bytes here); SAIP offers 32, 64 and 128
bits, and test profiles use 128 (the whole of XDOUT). The GSM values of a test USIM come
from the conversion functions c2 and c3 of TS 33.102 6.8.1.2 (see
:mod:`euicc_applets.naa.authenticate`).
"""

from __future__ import annotations

RES_LENGTHS = range(4, 17)  # bytes: 32..128 bits


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


class XorTestAlgorithm:
    """The TS 34.108 test algorithm for one K; methods match
    :class:`euicc_applets.naa.authenticate.AkaAlgorithm`."""

    def __init__(self, k: bytes, res_length: int = 16) -> None:
        if len(k) != 16:
            raise ValueError("the test algorithm uses a 16-byte K")
        if res_length not in RES_LENGTHS:
            raise ValueError("RES of the test algorithm has 4..16 bytes (32..128 bits)")
        self._k = bytes(k)
        self.res_length = res_length

    def __repr__(self) -> str:  # K never reaches a log
        return f"XorTestAlgorithm(<secret>, res={self.res_length * 8})"

    def _xdout(self, rand: bytes) -> bytes:
        if len(rand) != 16:
            raise ValueError("RAND has 16 bytes")
        return _xor(self._k, rand)

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-A = XDOUT[bits 0..63] xor (SQN || AMF)."""
        if len(sqn) != 6 or len(amf) != 2:
            raise ValueError("SQN has 6 bytes and AMF 2")
        return _xor(self._xdout(rand)[:8], sqn + amf)

    def f1star(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-S: the same function as f1 (TS 34.108 8.1.2.2)."""
        return self.f1(rand, sqn, amf)

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        """(RES, CK, IK, AK)."""
        xdout = self._xdout(rand)
        return (xdout[:self.res_length], xdout[1:] + xdout[:1], xdout[2:] + xdout[:2],
                xdout[3:9])

    def f5star(self, rand: bytes) -> bytes:
        """AK for resynchronisation: the same function as f5 (TS 34.108 8.1.2.2)."""
        return self._xdout(rand)[3:9]
