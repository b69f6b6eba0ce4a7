"""Sequence number management in the USIM / ISIM (3GPP TS 33.102 6.3.2-6.3.5 and Annex C,
profile 'C.1.2' scheme with an array of SEQ values).

SQN (48 bits) = SEQ || IND, IND being its ``ind_length`` least significant bits (5 by
default, TS 33.102 C.1.2 / C.3.2). The card keeps one SEQ_MS(i) per IND value i, i.e. an
array of 2^ind_length entries (SAIP ``sqnInit`` gives their initial values, without IND),
and accepts a SQN from the network when (TS 33.102 C.2.1-C.2.3):

- SEQ > SEQ_MS(IND): the SQN was not used before (C.2.2, the replay protection);
- SEQ - SEQ_MS <= delta, SEQ_MS being the highest SEQ accepted so far: protection against a
  wrap around of the counter (C.2.1; SAIP ``sqnDelta``, 2^28 by default);
- optionally SEQ_MS - SEQ <= L, the limitation of the age of the SQN (C.2.3; SAIP
  ``sqnAgeLimit``).

An accepted SQN sets SEQ_MS(IND) := SEQ. On a synchronisation failure the card reports
SQN_MS, the highest previously accepted sequence number (TS 33.102 6.3.3 / 6.3.5):
SEQ_MS || the IND under which it was accepted.

The state is immutable: :meth:`SqnState.accept` returns the next state, which its owner
persists (:meth:`to_bytes` / :meth:`from_bytes`) only once the authentication succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

SQN_BITS = 48
SQN_BYTES = 6
DEFAULT_IND_LENGTH = 5
DEFAULT_DELTA = 1 << 28  # TS 33.102 C.3.1 and the SAIP sqnDelta default '000010000000'H
DEFAULT_AGE_LIMIT = 1 << 28  # SAIP sqnAgeLimit default '000010000000'H
MAX_IND_LENGTH = 10  # 1024 entries; SAIP profiles carry 32 (IND of 5 bits)

_FORMAT_VERSION = 1
_FLAG_CHECK_SQN, _FLAG_CHECK_DELTA, _FLAG_CHECK_AGE_LIMIT = 0x01, 0x02, 0x04
_HEADER_BYTES = 3 + 2 * SQN_BYTES


class SqnVerdict(Enum):
    """Outcome of checking a received SQN against the array (TS 33.102 Annex C.2)."""

    ACCEPTED = "accepted"
    ALREADY_USED = "SEQ <= SEQ_MS(IND)"  # C.2.2
    TOO_FAR_AHEAD = "SEQ - SEQ_MS > delta"  # C.2.1
    TOO_OLD = "SEQ_MS - SEQ > L"  # C.2.3


@dataclass(frozen=True)
class SqnState:
    """The SQN array of one NAA and its verification options.

    ``seq_ms[i]`` is SEQ_MS(i), the highest SEQ accepted with IND = i (without IND, as SAIP
    sqnInit codes it). ``check_sqn`` False is the SAIP "SQN check skipped" option: every SQN
    is accepted (and still recorded); ``check_delta`` / ``check_age_limit`` switch the C.2.1
    and C.2.3 checks.
    """

    seq_ms: tuple[int, ...] = field(default=(0,) * (1 << DEFAULT_IND_LENGTH))
    ind_length: int = DEFAULT_IND_LENGTH
    delta: int = DEFAULT_DELTA
    age_limit: int = DEFAULT_AGE_LIMIT
    check_sqn: bool = True
    check_delta: bool = True
    check_age_limit: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.ind_length <= MAX_IND_LENGTH:
            raise ValueError(f"IND has 0..{MAX_IND_LENGTH} bits")
        object.__setattr__(self, "seq_ms", tuple(self.seq_ms))
        if len(self.seq_ms) != 1 << self.ind_length:
            raise ValueError("the SQN array has 2^ind_length entries")
        seq_limit = 1 << (SQN_BITS - self.ind_length)
        if any(not 0 <= seq < seq_limit for seq in self.seq_ms):
            raise ValueError("a SEQ has 48 - ind_length bits")
        for name in ("delta", "age_limit"):
            if not 0 <= getattr(self, name) < 1 << SQN_BITS:
                raise ValueError(f"{name} has 48 bits")

    @classmethod
    def initial(cls, ind_length: int = DEFAULT_IND_LENGTH, **options: object) -> SqnState:
        """A fresh array of zeros with the given options (delta, age_limit, check_*)."""
        return cls(seq_ms=(0,) * (1 << ind_length), ind_length=ind_length, **options)

    def split(self, sqn: int) -> tuple[int, int]:
        """(SEQ, IND) of a 48-bit SQN."""
        if not 0 <= sqn < 1 << SQN_BITS:
            raise ValueError("SQN has 48 bits")
        return sqn >> self.ind_length, sqn & ((1 << self.ind_length) - 1)

    @property
    def highest_seq(self) -> int:
        """SEQ_MS: the highest SEQ accepted so far (over all IND values)."""
        return max(self.seq_ms)

    @property
    def sqn_ms(self) -> int:
        """SQN_MS for AUTS: the highest accepted SEQ with the IND it was accepted under (the
        lowest such IND when several entries hold it, e.g. the all-zero initial array)."""
        highest = self.highest_seq
        return highest << self.ind_length | self.seq_ms.index(highest)

    def check(self, sqn: int) -> SqnVerdict:
        seq, ind = self.split(sqn)
        if not self.check_sqn:
            return SqnVerdict.ACCEPTED
        if seq <= self.seq_ms[ind]:
            return SqnVerdict.ALREADY_USED
        highest = self.highest_seq
        if self.check_delta and seq - highest > self.delta:
            return SqnVerdict.TOO_FAR_AHEAD
        if self.check_age_limit and highest - seq > self.age_limit:
            return SqnVerdict.TOO_OLD
        return SqnVerdict.ACCEPTED

    def accept(self, sqn: int) -> SqnState:
        """The state after accepting ``sqn``: SEQ_MS(IND) := SEQ (never lowered, which only
        matters when the check is skipped)."""
        seq, ind = self.split(sqn)
        entries = list(self.seq_ms)
        entries[ind] = max(entries[ind], seq)
        return replace(self, seq_ms=tuple(entries))

    def to_bytes(self) -> bytes:
        """Version 1 layout: version, IND length, option flags (b1 check SQN, b2 check delta,
        b3 check age limit), delta (6 bytes), age limit (6 bytes), then the 2^ind_length SEQ_MS
        entries of 6 bytes each, big-endian."""
        flags = ((_FLAG_CHECK_SQN if self.check_sqn else 0)
                 | (_FLAG_CHECK_DELTA if self.check_delta else 0)
                 | (_FLAG_CHECK_AGE_LIMIT if self.check_age_limit else 0))
        return (bytes([_FORMAT_VERSION, self.ind_length, flags])
                + self.delta.to_bytes(SQN_BYTES, "big") + self.age_limit.to_bytes(SQN_BYTES, "big")
                + b"".join(seq.to_bytes(SQN_BYTES, "big") for seq in self.seq_ms))

    @classmethod
    def from_bytes(cls, data: bytes) -> SqnState:
        if len(data) < _HEADER_BYTES or data[0] != _FORMAT_VERSION:
            raise ValueError("not a version 1 SQN state")
        ind_length, flags = data[1], data[2]
        if ind_length > MAX_IND_LENGTH:
            raise ValueError(f"IND has 0..{MAX_IND_LENGTH} bits")
        if flags & ~(_FLAG_CHECK_SQN | _FLAG_CHECK_DELTA | _FLAG_CHECK_AGE_LIMIT):
            raise ValueError("unknown SQN option flags")
        entries = data[_HEADER_BYTES:]
        if len(entries) != SQN_BYTES << ind_length:
            raise ValueError("SQN state length does not match its IND length")
        return cls(
            seq_ms=tuple(int.from_bytes(entries[i:i + SQN_BYTES], "big")
                         for i in range(0, len(entries), SQN_BYTES)),
            ind_length=ind_length,
            delta=int.from_bytes(data[3:9], "big"),
            age_limit=int.from_bytes(data[9:15], "big"),
            check_sqn=bool(flags & _FLAG_CHECK_SQN),
            check_delta=bool(flags & _FLAG_CHECK_DELTA),
            check_age_limit=bool(flags & _FLAG_CHECK_AGE_LIMIT),
        )
