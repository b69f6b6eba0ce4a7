"""One profile package served to many eUICCs, each download with an ICCID of its own, as a
real SM-DP+ does (an ICCID names one subscription: ITU-T E.118; SGP.22 5.5.3 StoreMetadata
and the ProfileHeader of the package carry it, and an eUICC refuses a second profile with
an ICCID it has, SGP.22 5.7.6 iccidAlreadyExistsOnEuicc).

The ICCID of a download is the package's own with its last ``width`` digits before the check
digit replaced by a counter (the package's ICCID kept as the range), the ISO/IEC 7812-1
Luhn check digit computed again when the package's was valid. Both places that hold it
change: the ProfileHeader's iccid (TCA eUICC Profile Package 8.2, digits in reading order)
and the content of EF.ICCID in the PE-MF (TS 102 221 13.2, swapped BCD); the other profile
elements travel as they were.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from euicc.asn1 import Asn1Error, pe
from euicc.coding import decode_bcd, encode_iccid, luhn_valid, swap_nibbles
from euicc.tlv import TlvError, split

from .profiles import Profile

DEFAULT_WIDTH = 8  # 10^8 downloads of one package before the range is used up


class IccidRangeExhausted(RuntimeError):
    """Every ICCID of the range was given out."""


def _check_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn_valid(body + d))


class IccidSequence:
    """Distinct ICCIDs per download, counting from ``start`` for every package."""

    def __init__(self, start: int = 0, width: int = DEFAULT_WIDTH) -> None:
        if not 1 <= width <= 12 or not 0 <= start < 10**width:
            raise ValueError(f"an ICCID counter of {width} digits cannot start at {start}")
        self.width = width
        self._next = start
        self._lock = threading.Lock()
        self._parsed: dict[bytes, tuple[list[bytes], int, dict, int | None, dict | None]] = {}

    def _take(self) -> int:
        with self._lock:
            number = self._next
            if number >= 10**self.width:
                raise IccidRangeExhausted(f"all {10**self.width} ICCIDs of the range are "
                                          "given out")
            self._next += 1
            return number

    def iccid_for(self, digits: str, number: int) -> str:
        """The ``number``-th ICCID of the range of the package ICCID ``digits``."""
        checked = luhn_valid(digits) and len(digits) >= 2
        body = digits[:-1] if checked else digits
        if len(body) <= self.width:
            raise ValueError(f"ICCID {digits} is too short for a {self.width}-digit counter")
        body = body[:-self.width] + f"{number:0{self.width}d}"
        return body + _check_digit(body) if checked else body

    def _elements(self, package: bytes):
        """The package's elements, its header and PE-MF decoded (once per package)."""
        parsed = self._parsed.get(package)
        if parsed is None:
            elements = split(package)
            header = pe().decode("ProfileElement", elements[0])
            if header[0] != "header":
                raise ValueError("the package does not start with a ProfileHeader")
            mf_index, mf = None, None
            for index, element in enumerate(elements[1:], 1):
                if element[:1] == b"\xb0":  # [16] mf, SAIP ProfileElement
                    mf_index, mf = index, pe().decode("ProfileElement", element)[1]
                    break
            parsed = (elements, 0, header[1], mf_index, mf)
            with self._lock:
                self._parsed[package] = parsed
        return parsed

    def next_for(self, profile: Profile) -> Profile:
        """``profile`` with the next ICCID of its range."""
        try:
            elements, _, header, mf_index, mf = self._elements(profile.package)
        except (Asn1Error, TlvError, IndexError) as exc:
            raise ValueError(f"package {profile.matching_id}: {exc}") from None
        digits = decode_bcd(profile.iccid)
        iccid = encode_iccid(self.iccid_for(digits, self._take()))
        out = list(elements)
        out[0] = pe().encode("ProfileElement", ("header", {**header,
                                                           "iccid": swap_nibbles(iccid)}))
        if mf is not None and "ef-iccid" in mf:
            contents = [("fillFileContent", iccid) if kind == "fillFileContent" else
                        (kind, value) for kind, value in mf["ef-iccid"]]
            out[mf_index] = pe().encode("ProfileElement", ("mf", {**mf, "ef-iccid": contents}))
        return replace(profile, package=b"".join(out), iccid=iccid)
