"""The AUTHENTICATE command of the NAAs, without APDUs: 3GPP TS 31.102 7.1.1 / 7.1.2 (USIM)
and TS 31.103 7.1.1 / 7.1.2 (ISIM), with the AKA procedure of TS 33.102 6.3 and the GSM
conversion functions c2 / c3 of TS 33.102 6.8.1.2.

3G security context (P2 = '81'; "IMS AKA" on the ISIM), TS 33.102 6.3.3:

    AK = f5(RAND); SQN = (SQN xor AK) xor AK; XMAC = f1(SQN, RAND, AMF)
    XMAC != MAC                     -> authentication error, SW '9862' (no data)
    SQN not acceptable (Annex C)    -> 'DC' L AUTS, AUTS = (SQN_MS xor f5*(RAND)) || MAC-S,
                                       MAC-S = f1*(SQN_MS, RAND, AMF = '0000')
    otherwise                       -> 'DB' L RES L CK L IK [L Kc], Kc = c3(CK, IK) only on a
                                       USIM offering service n27 (GSM access); never on ISIM

GSM security context (P2 = '80', USIM only), TS 33.102 6.8.1.2: RES, CK, IK from RAND
without any SQN check, answered as L SRES L Kc with SRES = c2(RES), Kc = c3(CK, IK).

The algorithm behind f1..f5* is an :class:`AkaAlgorithm`: :class:`MilenageAka` adapts
:class:`~euicc_applets.naa.milenage.Milenage`; :class:`~euicc_applets.naa.tuak.Tuak` and
:class:`~euicc_applets.naa.xor_test_algorithm.XorTestAlgorithm` implement it as they are.
The SQN array is a :class:`~euicc_applets.naa.sqn.SqnState`; a successful 3G authentication
returns the next state for the caller to persist, every other outcome leaves it as it was.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from euicc.sw import SW, SwError

from .milenage import Milenage
from .sqn import SQN_BYTES, SqnState, SqnVerdict

__all__ = [
    "AkaAlgorithm", "AuthenticateCommand", "AuthResult", "AuthSuccess", "GsmAuthResult",
    "MacFailure", "MacFailureError", "MilenageAka", "SecurityContext", "SqnState", "SqnVerdict",
    "SyncFailure", "authenticate_3g", "authenticate_gsm", "build_auts", "c2", "c3",
    "encode_response", "parse_command_data",
]

RAND_BYTES = 16
AMF_BYTES = 2
RESYNC_AMF = bytes(AMF_BYTES)  # TS 33.102 6.3.3: MAC-S is computed with a dummy AMF of zeros
TAG_SUCCESSFUL_3G = 0xDB
TAG_SYNCHRONISATION_FAILURE = 0xDC


class AkaAlgorithm(Protocol):
    """The authentication functions of TS 33.102 6.3 as one subscriber's card runs them."""

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-A (network authentication)."""
        ...

    def f1star(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        """MAC-S (resynchronisation)."""
        ...

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        """(RES, CK, IK, AK)."""
        ...

    def f5star(self, rand: bytes) -> bytes:
        """AK for AUTS."""
        ...


class MilenageAka:
    """:class:`AkaAlgorithm` over MILENAGE, whose f1 yields MAC-A and MAC-S together."""

    def __init__(self, milenage: Milenage) -> None:
        self._milenage = milenage

    def __repr__(self) -> str:
        return "MilenageAka(<secret>)"

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        return self._milenage.f1(rand, sqn, amf)[0]

    def f1star(self, rand: bytes, sqn: bytes, amf: bytes) -> bytes:
        return self._milenage.f1(rand, sqn, amf)[1]

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        return self._milenage.f2345(rand)

    def f5star(self, rand: bytes) -> bytes:
        return self._milenage.f5star(rand)


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuthSuccess:
    """RES, CK, IK (and Kc = c3(CK, IK), sent only where the NAA returns it) of an accepted
    challenge; ``sqn_state`` is the state to persist now."""

    res: bytes = field(repr=False)
    ck: bytes = field(repr=False)
    ik: bytes = field(repr=False)
    kc: bytes = field(repr=False)
    sqn: int
    sqn_state: SqnState = field(repr=False)


@dataclass(frozen=True)
class SyncFailure:
    """The SQN was out of range: AUTS lets the network recover SQN_MS (TS 33.102 6.3.5)."""

    auts: bytes
    verdict: SqnVerdict


@dataclass(frozen=True)
class MacFailure:
    """MAC-A did not verify (or the AMF was refused): answered with SW '9862' and no data."""


AuthResult = AuthSuccess | SyncFailure | MacFailure


@dataclass(frozen=True)
class GsmAuthResult:
    """SRES and Kc of a GSM security context; unpacks as ``sres, kc = result``."""

    sres: bytes = field(repr=False)
    kc: bytes = field(repr=False)

    def __iter__(self) -> Iterator[bytes]:
        return iter((self.sres, self.kc))


class MacFailureError(SwError):
    """Raised when a :class:`MacFailure` is to be encoded: the command ends with '9862'."""

    def __init__(self) -> None:
        super().__init__(SW.AUTH_INCORRECT_MAC, "authentication error, incorrect MAC")


# --- conversion functions -----------------------------------------------------------------

def _fold(data: bytes, word_bytes: int) -> bytes:
    folded = 0
    for i in range(0, len(data), word_bytes):
        folded ^= int.from_bytes(data[i:i + word_bytes], "big")
    return folded.to_bytes(word_bytes, "big")


def c2(res: bytes) -> bytes:
    """SRES = XRES*1 xor XRES*2 xor XRES*3 xor XRES*4 (TS 33.102 6.8.1.2), XRES* being RES
    zero-padded to 128 bits and XRES*i its 32-bit words. A 256-bit TUAK RES, which TS 33.102
    does not cover, is folded the same way over its eight words."""
    if not res:
        raise ValueError("RES is empty")
    return _fold(res + bytes(-len(res) % 16), 4)


def c3(ck: bytes, ik: bytes) -> bytes:
    """Kc = CK1 xor CK2 xor IK1 xor IK2 (TS 33.102 6.8.1.2), the 64-bit halves of the 128-bit
    keys. 256-bit TUAK keys, which TS 33.102 does not cover, are folded over all 64-bit words."""
    if len(ck) % 8 or len(ik) % 8 or not ck or not ik:
        raise ValueError("CK and IK are whole 64-bit words")
    return _fold(ck + ik, 8)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


# --- the procedures -----------------------------------------------------------------------

def build_auts(algo: AkaAlgorithm, rand: bytes, sqn_ms: int) -> bytes:
    """AUTS = (SQN_MS xor f5*(RAND)) || f1*(SQN_MS, RAND, AMF = '0000') (TS 33.102 6.3.3)."""
    sqn_ms_bytes = sqn_ms.to_bytes(SQN_BYTES, "big")
    return (_xor(sqn_ms_bytes, algo.f5star(rand))
            + algo.f1star(rand, sqn_ms_bytes, RESYNC_AMF))


def authenticate_3g(algo: AkaAlgorithm, sqn_state: SqnState, rand: bytes, autn: bytes, *,
                    amf_check: Callable[[bytes], bool] | None = None) -> AuthResult:
    """Run the card side of UMTS AKA (TS 33.102 6.3.3) on RAND and AUTN = (SQN xor AK) ||
    AMF || MAC. The MAC is verified first; only a genuine AUTN reaches the SQN check.

    ``amf_check`` is an optional operator policy on AMF (TS 33.102 Annex H leaves bits 1..15
    to operators); an AMF it refuses is answered like a wrong MAC.
    """
    if len(rand) != RAND_BYTES:
        raise ValueError("RAND has 16 bytes")
    if len(autn) <= SQN_BYTES + AMF_BYTES:
        return MacFailure()  # no MAC to verify
    res, ck, ik, ak = algo.f2345(rand)
    sqn_bytes = _xor(autn[:SQN_BYTES], ak)
    amf, mac = autn[SQN_BYTES:SQN_BYTES + AMF_BYTES], autn[SQN_BYTES + AMF_BYTES:]
    expected_mac = algo.f1(rand, sqn_bytes, amf)
    if not hmac.compare_digest(mac, expected_mac):
        return MacFailure()
    if amf_check is not None and not amf_check(amf):
        return MacFailure()
    sqn = int.from_bytes(sqn_bytes, "big")
    verdict = sqn_state.check(sqn)
    if verdict is not SqnVerdict.ACCEPTED:
        return SyncFailure(build_auts(algo, rand, sqn_state.sqn_ms), verdict)
    return AuthSuccess(res=res, ck=ck, ik=ik, kc=c3(ck, ik), sqn=sqn,
                       sqn_state=sqn_state.accept(sqn))


def authenticate_gsm(algo: AkaAlgorithm, rand: bytes) -> GsmAuthResult:
    """GSM security context on a USIM (TS 33.102 6.8.1.2): SRES = c2(RES), Kc = c3(CK, IK).
    There is no network authentication and no SQN in this context."""
    if len(rand) != RAND_BYTES:
        raise ValueError("RAND has 16 bytes")
    res, ck, ik, _ak = algo.f2345(rand)
    return GsmAuthResult(sres=c2(res), kc=c3(ck, ik))


# --- command data and response data -------------------------------------------------------

class SecurityContext(IntEnum):
    """P2 of AUTHENTICATE (TS 31.102 / 31.103 7.1.1): b8 = 1 (specific reference data, the
    application's key) and b3..b1 the context."""

    GSM = 0x80  # USIM only
    UMTS = 0x81  # "3G/EPS/5G" on the USIM, "IMS AKA" on the ISIM


# contexts a NAA may define but these procedures do not run (VGCS/VBS, GBA, MBMS, local key
# establishment, HTTP Digest on an ISIM): answered "security context not supported"
_OTHER_CONTEXTS = frozenset({0x82, 0x84, 0x85, 0x86})


@dataclass(frozen=True)
class AuthenticateCommand:
    context: SecurityContext
    rand: bytes
    autn: bytes | None  # None in the GSM context


def _take_lv(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset >= len(data) or offset + 1 + data[offset] > len(data):
        raise SwError(SW.WRONG_DATA, "AUTHENTICATE data: truncated length-value")
    end = offset + 1 + data[offset]
    return data[offset + 1:end], end


def parse_command_data(p2: int, data: bytes,
                       contexts: frozenset[SecurityContext] = frozenset(SecurityContext)
                       ) -> AuthenticateCommand:
    """Parse AUTHENTICATE command data: 'L RAND L AUTN' in the 3G context, 'L RAND' in the
    GSM context (TS 31.102 7.1.2). ``contexts`` are those the NAA offers (an ISIM passes
    ``{SecurityContext.UMTS}``; a USIM without GSM access would too)."""
    try:
        context = SecurityContext(p2)
    except ValueError:
        if p2 in _OTHER_CONTEXTS:
            raise SwError(SW.SECURITY_CONTEXT_NOT_SUPPORTED,
                          "security context not supported") from None
        raise SwError(SW.INCORRECT_P1P2, "AUTHENTICATE: unknown P2") from None
    if context not in contexts:
        raise SwError(SW.SECURITY_CONTEXT_NOT_SUPPORTED, "security context not supported")
    rand, offset = _take_lv(data, 0)
    autn = None
    if context is SecurityContext.UMTS:
        autn, offset = _take_lv(data, offset)
    if offset != len(data) or len(rand) != RAND_BYTES:
        raise SwError(SW.WRONG_DATA, "AUTHENTICATE data: bad RAND or trailing bytes")
    return AuthenticateCommand(context, rand, autn)


def _lv(value: bytes) -> bytes:
    return bytes([len(value)]) + value


def encode_response(result: AuthResult | GsmAuthResult, *, include_kc: bool = False) -> bytes:
    """Response data of TS 31.102 7.1.2.1 (USIM) / TS 31.103 7.1.2 (ISIM):

    - 3G success: 'DB' L RES L CK L IK, then L Kc when ``include_kc`` (a USIM with service
      n27 available; an ISIM never sets it);
    - synchronisation failure: 'DC' L AUTS;
    - GSM context: L SRES L Kc;
    - MAC failure: raises :class:`MacFailureError` (SW '9862', no data).
    """
    if isinstance(result, AuthSuccess):
        data = bytes([TAG_SUCCESSFUL_3G]) + _lv(result.res) + _lv(result.ck) + _lv(result.ik)
        return data + _lv(result.kc) if include_kc else data
    if isinstance(result, SyncFailure):
        return bytes([TAG_SYNCHRONISATION_FAILURE]) + _lv(result.auts)
    if isinstance(result, GsmAuthResult):
        return _lv(result.sres) + _lv(result.kc)
    if isinstance(result, MacFailure):
        raise MacFailureError()
    raise TypeError(f"not an authentication result: {type(result).__name__}")
