"""TUAK, the second 3GPP example set of authentication and key generation functions
f1, f1*, f2, f3, f4, f5 and f5* (3GPP TS 35.231; test data TS 35.232 / 35.233), built on
the Keccak-f[1600] permutation (FIPS 202 3.2-3.3).

Every function is one absorption of a 1600-bit state (TS 35.231 6.1-6.5)::

    IN[255..0]     = TOPc           IN[447..320]   = RAND
    IN[263..256]   = INSTANCE       IN[463..448]   = AMF   (zero for f2345, f5*, TOPc)
    IN[319..264]   = "TUAK1.0"      IN[511..464]   = SQN   (zero for f2345, f5*, TOPc)
    IN[767..512]   = K, zero-extended to 256 bits
    IN[1087..768]  = the SHA-3 style padding '1F' 00..00 '80' of a 1088-bit rate
    IN[1599..1088] = 0
    OUT = Keccak-f[1600] applied ``keccak_iterations`` times (TS 35.231 7.2) to IN

Bit i of IN is bit (i mod 8) of state byte i // 8 (Keccak's little-endian lanes), so each
big-endian parameter lands byte-reversed in the state, and outputs are read back reversed:
MAC-A / MAC-S / RES = OUT[len-1..0], CK = OUT[256+len-1..256], IK = OUT[512+len-1..512],
AK = OUT[815..768], and TOPc = OUT[255..0] of the same construction with TOP in place of
TOPc and RAND, AMF, SQN zero.

INSTANCE says which function runs and with which sizes (TS 35.231 6.2-6.5):
bit 7..6 = 00 f1, 10 f1*, 01 f2345, 11 f5* (and 00 for TOPc); bits 5..3 = MAC or RES size
(000 32, 001 64, 010 128, 100 256 bits); bit 2 = CK of 256 bits; bit 1 = IK of 256 bits;
bit 0 = K of 256 bits.
"""

from __future__ import annotations

ALGONAME = b"TUAK1.0"
STATE_BYTES = 200  # 1600 bits
RATE_BYTES = 136  # 1088 bits: the padding closes the first (and only) block here

# TS 35.231 INSTANCE bits 5..3 for the MAC / RES size in bytes
_SIZE_BITS = {4: 0b000, 8: 0b001, 16: 0b010, 32: 0b100}
MAC_LENGTHS = (8, 16, 32)
RES_LENGTHS = (4, 8, 16, 32)
KEY_LENGTHS = (16, 32)  # K, CK and IK: 128 or 256 bits

_INSTANCE_F1, _INSTANCE_F1STAR, _INSTANCE_F2345, _INSTANCE_F5STAR = 0x00, 0x80, 0x40, 0xC0
_INSTANCE_CK256, _INSTANCE_IK256, _INSTANCE_K256 = 0x04, 0x02, 0x01

_MASK64 = (1 << 64) - 1


def _rotation_offsets() -> tuple[int, ...]:
    """rho offsets per lane x + 5y (FIPS 202 Algorithm 2), walked instead of tabulated."""
    offsets = [0] * 25
    x, y = 1, 0
    for t in range(24):
        offsets[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return tuple(offsets)


def _round_constants() -> tuple[int, ...]:
    """iota constants from the rc(t) LFSR x^8 + x^6 + x^5 + x^4 + 1 (FIPS 202 Algorithms 5-6)."""
    constants = []
    lfsr = 1
    for _ in range(24):
        constant = 0
        for j in range(7):
            if lfsr & 1:
                constant |= 1 << ((1 << j) - 1)
            lfsr = ((lfsr << 1) ^ 0x71) & 0xFF if lfsr & 0x80 else lfsr << 1
        constants.append(constant)
    return tuple(constants)


_RHO = _rotation_offsets()
_IOTA = _round_constants()


def _rotl64(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK64 if bits else value


def keccak_f1600(state: bytes) -> bytes:
    """One Keccak-f[1600] permutation (24 rounds) of a 200-byte state."""
    if len(state) != STATE_BYTES:
        raise ValueError("the Keccak-f[1600] state has 200 bytes")
    a = [int.from_bytes(state[8 * i:8 * i + 8], "little") for i in range(25)]
    for round_constant in _IOTA:
        # theta
        column = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        for x in range(5):
            d = column[(x - 1) % 5] ^ _rotl64(column[(x + 1) % 5], 1)
            for y in range(0, 25, 5):
                a[x + y] ^= d
        # rho and pi: lane (x, y) moves to (y, 2x + 3y)
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rotl64(a[x + 5 * y], _RHO[x + 5 * y])
        # chi
        for y in range(0, 25, 5):
            row = b[y:y + 5]
            for x in range(5):
                a[x + y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5])
        # iota
        a[0] ^= round_constant
    return b"".join(lane.to_bytes(8, "little") for lane in a)


def _check_length(name: str, value: int, allowed: tuple[int, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"TUAK {name} length must be one of {allowed} bytes")


class Tuak:
    """TUAK for one subscriber: K (128 or 256 bits), TOPc (or TOP, from which TOPc is derived),
    the output sizes and the number of Keccak iterations, as a profile's akaParameter sets them.

    The methods match :class:`euicc_applets.naa.authenticate.AkaAlgorithm`.
    """

    def __init__(self, k: bytes, *, top: bytes | None = None, topc: bytes | None = None,
                 mac_length: int = 8, res_length: int = 8, ck_length: int = 16,
                 ik_length: int = 16, keccak_iterations: int = 1) -> None:
        _check_length("K", len(k), KEY_LENGTHS)
        _check_length("MAC", mac_length, MAC_LENGTHS)
        _check_length("RES", res_length, RES_LENGTHS)
        _check_length("CK", ck_length, KEY_LENGTHS)
        _check_length("IK", ik_length, KEY_LENGTHS)
        if (top is None) == (topc is None):
            raise ValueError("TUAK needs exactly one of TOP and TOPc")
        if len(top if topc is None else topc) != 32:
            raise ValueError("TOP and TOPc have 32 bytes")
        if not 1 <= keccak_iterations <= 255:
            raise ValueError("the number of Keccak iterations is 1..255")
        self._k = bytes(k)
        self.keccak_iterations = keccak_iterations
        self.mac_length, self.res_length = mac_length, res_length
        self.ck_length, self.ik_length = ck_length, ik_length
        self.topc = topc if topc is not None else self._top_to_topc(top)

    def __repr__(self) -> str:  # K and TOPc never reach a log
        return (f"Tuak(<secret>, mac={self.mac_length * 8}, res={self.res_length * 8}, "
                f"ck={self.ck_length * 8}, ik={self.ik_length * 8}, "
                f"keccak_iterations={self.keccak_iterations})")

    @property
    def _k_bit(self) -> int:
        return _INSTANCE_K256 if len(self._k) == 32 else 0

    def _keccak(self, top_or_topc: bytes, instance: int, rand: bytes = bytes(16),
                amf: bytes = bytes(2), sqn: bytes = bytes(6)) -> bytes:
        if len(rand) != 16 or len(amf) != 2 or len(sqn) != 6:
            raise ValueError("RAND has 16 bytes, AMF 2 and SQN 6")
        key = self._k[::-1] + bytes(32 - len(self._k))
        block = (top_or_topc[::-1] + bytes([instance]) + ALGONAME[::-1] + rand[::-1]
                 + amf[::-1] + sqn[::-1] + key)
        padding = b"\x1f" + bytes(RATE_BYTES - len(block) - 2) + b"\x80"
        state = block + padding + bytes(STATE_BYTES - RATE_BYTES)
        for _ in range(self.keccak_iterations):
            state = keccak_f1600(state)
        return state

    def _top_to_topc(self, top: bytes) -> bytes:
        return self._keccak(top, self._k_bit)[:32][::-1]

    def _mac(self, instance: int, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        instance |= _SIZE_BITS[self.mac_length] << 3 | self._k_bit
        return self._keccak(self.topc, instance, rand, amf, sqn)[:self.mac_length][::-1]

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-A."""
        return self._mac(_INSTANCE_F1, rand, sqn, amf)

    def f1star(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-S, for resynchronisation (AUTS)."""
        return self._mac(_INSTANCE_F1STAR, rand, sqn, amf)

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        """(RES, CK, IK, AK)."""
        instance = (_INSTANCE_F2345 | _SIZE_BITS[self.res_length] << 3 | self._k_bit
                    | (_INSTANCE_CK256 if self.ck_length == 32 else 0)
                    | (_INSTANCE_IK256 if self.ik_length == 32 else 0))
        out = self._keccak(self.topc, instance, rand)
        return (out[:self.res_length][::-1], out[32:32 + self.ck_length][::-1],
                out[64:64 + self.ik_length][::-1], out[96:102][::-1])

    def f5star(self, rand: bytes) -> bytes:
        """AK for resynchronisation (AUTS)."""
        return self._keccak(self.topc, _INSTANCE_F5STAR | self._k_bit, rand)[96:102][::-1]
