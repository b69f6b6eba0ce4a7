"""Capturing a card's observable identity (`euicc-emu personality capture`): what an LPA
reads of an eUICC, read through an APDU link (a PC/SC reader, or a card in-process) with
the project's LPA's ES10 client (:class:`euicc_tools.lpa.es10.Es10Client`), kept both as
the raw answers and decoded:

- the ATR (ISO/IEC 7816-3 8.2);
- the ISD-R's AID (SGP.22 2.2.1): SELECT by DF name (ISO/IEC 7816-4 11.1.1) of the SGP.22
  AID and of the vendor AIDs LPAs carry (:data:`VENDOR_ISD_R_AIDS`), each on the basic
  channel; every one that answers is recorded, and the ISD-R's FCI ("SELECT ISD-R"), whose
  '9F65' (GlobalPlatform 2.3 11.9.3.1) is the longest STORE DATA block it declares;
- the number of logical channels (ISO/IEC 7816-4 5.1.1, ETSI TS 102 221 11.1.17 MANAGE
  CHANNEL): opened one by one until the card refuses, then all closed again;
- ES10c.GetEID (SGP.22 5.7.20), ES10b.GetEUICCInfo1 and GetEUICCInfo2 (5.7.8),
  ES10a.GetEuiccConfiguredAddresses (5.7.3), ES10b.GetRAT (5.7.16) and
  ES10c.GetProfilesInfo (5.7.15) without a tag list, as LPAs ask, and with a tag list of
  every ProfileInfo member (what a chip leaves out unasked is still the profile's metadata);
- the response data per R-APDU (:attr:`Capture.chunks`): the sizes of the GET RESPONSE
  chunks the ES10 answers came in (ETSI TS 102 221 7.3.1.1.4), which show a chip's
  ``max_response`` when an answer was longer than it. What blocks a chip refuses is not
  probed: the capture sends lpac's 120-byte STORE DATA blocks only.

:mod:`.capture_toml` turns a :class:`Capture` into a personality file; :func:`replay`
makes a card from that file in-process and captures it again, so the writer can say which
answers the file reproduces byte for byte. Every failure is a :class:`CaptureError` of one
line: no such reader, no card, a card with no ISD-R (not an eUICC), an ES10 answer that is
not SGP.22's.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from euicc.ins import Ins
from euicc.sw import SW
from euicc.tlv import TlvError, parse
from euicc_applets.isd_r import ISD_R_AID
from euicc_applets.isd_r.profiles import PROFILE_INFO_TAGS
from euicc_tools.lpa.es10 import (
    MANAGE_CHANNEL_CLOSE,
    MANAGE_CHANNEL_OPEN,
    CardError,
    Es10Client,
    Es10Error,
    decode_response,
)
from euicc_tools.lpa.link import ApduLink, LinkError

# Vendor ISD-R AIDs, as public LPA sources list them: EasyLPAC config.go (AID_5BER,
# AID_ESIMME, AID_XESIM, AID_ESTKME), OpenEUICC's ISD-R AID list, lpac
# LPAC_CUSTOM_ISD_R_AID. Tried in this order after the SGP.22 one.
VENDOR_ISD_R_AIDS = {
    "5ber": bytes.fromhex("A0000005591010FFFFFFFF8900050500"),
    "eSIM.me": bytes.fromhex("A0000005591010000000008900000300"),
    "Xesim": bytes.fromhex("A0000005591010FFFFFFFF8900000177"),
    "eSTK.me": bytes.fromhex("A06573746B6D65FFFF4953442D522030"),
}
# ES10c.GetProfilesInfo with a tagList naming every ProfileInfo member (SGP.22 5.7.15)
ALL_TAGS = "ES10c.GetProfilesInfo tagList"
PROFILE_INFO_TAG_LIST = b"".join(tag.to_bytes((tag.bit_length() + 7) // 8, "big")
                                 for tag in PROFILE_INFO_TAGS)
MAX_CHANNELS = 20  # ISO/IEC 7816-4 5.1.1: the basic channel and 19 further ones
# name, request type, request, response type; in the order an LPA reads them (lpac's
# `chip info`, then `profile list`). GetRAT and the configured addresses may be missing on
# an older chip: the capture goes on without them (:attr:`Capture.missing`).
ES10_READS = (
    ("ES10c.GetEID", "GetEuiccDataRequest", {"tagList": b"\x5a"}, "GetEuiccDataResponse"),
    ("ES10b.GetEUICCInfo1", "GetEuiccInfo1Request", {}, "EUICCInfo1"),
    ("ES10b.GetEUICCInfo2", "GetEuiccInfo2Request", {}, "EUICCInfo2"),
    ("ES10a.GetEuiccConfiguredAddresses", "EuiccConfiguredAddressesRequest", {},
     "EuiccConfiguredAddressesResponse"),
    ("ES10b.GetRAT", "GetRatRequest", {}, "GetRatResponse"),
    ("ES10c.GetProfilesInfo", "ProfileInfoListRequest", {}, "ProfileInfoListResponse"),
    # every ProfileInfo member by its tag: a chip may leave members out when no tagList
    # asks for them (Quirk profiles_info_basic_tags), and they are the profile's metadata
    (ALL_TAGS, "ProfileInfoListRequest", {"tagList": PROFILE_INFO_TAG_LIST},
     "ProfileInfoListResponse"),
)
REQUIRED = ("ES10c.GetEID", "ES10b.GetEUICCInfo1", "ES10b.GetEUICCInfo2", "ES10c.GetProfilesInfo")


class CaptureError(RuntimeError):
    """The card cannot be captured; the message is one line saying why."""


@dataclass
class Capture:
    """What a card showed: ``answers`` the raw bytes by name ("ATR", then the ES10
    functions' responses, without SW), ``values`` the ES10 responses decoded (asn1tools
    values of the SGP.22 module)."""

    atr: bytes
    isd_r_aid: bytes
    answering_aids: tuple[bytes, ...]  # every probed AID whose SELECT succeeded
    logical_channels: int
    answers: dict[str, bytes] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # ES10 name: why not captured
    reader: str | None = None
    # (data length, SW) of every R-APDU of the ES10 reads, in order
    chunks: list[tuple[int, int]] = field(default_factory=list)

    @property
    def max_store_data(self) -> int | None:
        """The ISD-R FCI's '9F65' (None: absent or not one number)."""
        try:
            ((_, fci),) = parse(self.answers["SELECT ISD-R"])
            proprietary = dict(parse(fci)).get(0xA5)
            value = dict(parse(proprietary)).get(0x9F65) if proprietary else None
        except (KeyError, TlvError, ValueError):
            return None
        return int.from_bytes(value, "big") if value else None

    @property
    def max_response(self) -> int | None:
        """The most response data the card sent in one R-APDU followed by '61xx' (more
        left): its limit, when an answer was longer than it; None if no answer was
        chained past its first chunk of data."""
        cut = [length for length, sw in self.chunks if length and sw >> 8 == 0x61]
        return max(cut) if cut else None

    @property
    def longest_chunk(self) -> int:
        return max((length for length, _ in self.chunks), default=0)

    @property
    def eid(self) -> str:
        return self.values["ES10c.GetEID"]["eidValue"].hex().upper()

    @property
    def standard_also(self) -> bool:
        """A vendor AID answered, and the SGP.22 one as well."""
        return self.isd_r_aid != ISD_R_AID and ISD_R_AID in self.answering_aids


def _answers_select(link: ApduLink, aid: bytes) -> bytes | None:
    """SELECT by DF name on the basic channel, first or only occurrence (7816-4 11.1.1):
    the FCI, None if refused; a '61xx' is fetched with GET RESPONSE so the card is not
    left with data waiting."""
    data, sw = link.transmit(bytes([0x00, Ins.SELECT, 0x04, 0x00, len(aid)]) + aid)
    fci = bytearray(data)
    while sw & 0xFF00 == SW.BYTES_REMAINING:
        data, sw = link.transmit(bytes([0x00, Ins.GET_RESPONSE, 0x00, 0x00, sw & 0xFF]))
        fci += data
    return bytes(fci) if sw == SW.OK else None


def find_isd_r(link: ApduLink) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """(the ISD-R AID to use, every AID that answered, the FCI at the one to use): the
    first vendor AID that answers, else the SGP.22 one; CaptureError if none does (not an
    eUICC)."""
    candidates = (ISD_R_AID, *VENDOR_ISD_R_AIDS.values())
    fcis = {aid: _answers_select(link, aid) for aid in candidates}
    answering = tuple(aid for aid in candidates if fcis[aid] is not None)
    if not answering:
        raise CaptureError("not an eUICC: no ISD-R answers SELECT at the SGP.22 AID or at "
                           f"any vendor AID ({', '.join(VENDOR_ISD_R_AIDS)})")
    vendor = [aid for aid in answering if aid != ISD_R_AID]
    chosen = vendor[0] if vendor else ISD_R_AID
    return chosen, answering, fcis[chosen]


class _Chunks(ApduLink):
    """The link, with the (data length, SW) of every R-APDU kept."""

    def __init__(self, link: ApduLink, into: list[tuple[int, int]]) -> None:
        self.link, self.into = link, into

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self.link.transmit(apdu)
        self.into.append((len(data), sw))
        return data, sw


def count_channels(link: ApduLink) -> int:
    """Logical channels the card has, the basic one included: MANAGE CHANNEL open until
    it refuses (or 19 are open), then each opened one closed (TS 102 221 11.1.17). Safe on
    a chip: an open channel holds nothing but a selection, and all are closed again."""
    opened = []
    try:
        while len(opened) < MAX_CHANNELS - 1:
            data, sw = link.transmit(bytes([0x00, Ins.MANAGE_CHANNEL, MANAGE_CHANNEL_OPEN,
                                            0x00, 0x01]))
            if sw != SW.OK or len(data) != 1:
                break
            opened.append(data[0])
    finally:
        for channel in opened:
            link.transmit(bytes([0x00, Ins.MANAGE_CHANNEL, MANAGE_CHANNEL_CLOSE, channel,
                                 0x00]))
    return 1 + len(opened)


def _read_es10(es10: Es10Client, result: Capture) -> None:
    from euicc.asn1 import encode, rsp

    for name, request_type, request, response_type in ES10_READS:
        try:
            raw = es10.store_data(encode(rsp(), request_type, request))
            value = decode_response(response_type, raw)
        except Es10Error as exc:
            if name in REQUIRED:
                detail = f"SW {exc.sw:04X}" if isinstance(exc, CardError) else str(exc)
                raise CaptureError(f"{name} failed ({detail}): not an SGP.22 eUICC, "
                                   "or not one this can read") from None
            result.missing[name] = str(exc)
            continue
        result.answers[name], result.values[name] = raw, value
    kind, value = result.values["ES10c.GetProfilesInfo"]
    if kind != "profileInfoListOk":
        raise CaptureError(f"ES10c.GetProfilesInfo answered profileInfoListError {value}")


def capture(link: ApduLink, atr: bytes, reader: str | None = None) -> Capture:
    """Everything an LPA reads of the card behind ``link`` (powered, ``atr`` its ATR);
    LinkError (the transport's) and CaptureError are what can go wrong."""
    isd_r_aid, answering, fci = find_isd_r(link)
    channels = count_channels(link)
    result = Capture(atr, isd_r_aid, answering, channels,
                     answers={"ATR": atr, "SELECT ISD-R": fci}, reader=reader)
    es10 = Es10Client(_Chunks(link, result.chunks), aid=isd_r_aid)
    try:
        es10.open()
    except CardError as exc:
        raise CaptureError(f"the ISD-R answered SELECT on the basic channel but not on a "
                           f"logical one ({exc})") from None
    try:
        _read_es10(es10, result)
    finally:
        es10.close()
    return result


# -- PC/SC -------------------------------------------------------------------------------------

def reader_name(spec: str) -> str:
    """``--reader``: a number (its index in PC/SC's reader list, from 0, as pySim's -p) or
    a part of the reader's name."""
    try:
        from smartcard.Exceptions import SmartcardException
        from smartcard.System import readers
    except ImportError as exc:
        raise CaptureError(f"PC/SC needs pyscard ({exc}): pip install 'euicc-emu[lpa]'") \
            from None
    try:
        names = [str(r) for r in readers()]
    except SmartcardException as exc:
        raise CaptureError(f"PC/SC is not available (is pcscd running?): {exc}") from None
    listed = ", ".join(f"{n}: {name!r}" for n, name in enumerate(names)) or "none"
    if spec.isdigit():
        if int(spec) >= len(names):
            raise CaptureError(f"no PC/SC reader {spec} (readers: {listed})")
        return names[int(spec)]
    matching = [name for name in names if spec in name]
    if not matching:
        raise CaptureError(f"no PC/SC reader name contains {spec!r} (readers: {listed})")
    return matching[0]


def capture_reader(spec: str) -> Capture:
    """Capture the card in the reader ``spec`` names (:func:`reader_name`), connected
    exclusively, T=0 as lpac asks, else T=1 (a card that offers only T=1)."""
    from euicc_tools.lpa.link import PcscLink

    name = reader_name(spec)
    try:
        link = PcscLink(name, protocol="T0")
    except LinkError as first:
        try:
            link = PcscLink(name, protocol="T1")
        except LinkError:
            raise CaptureError(str(first)) from None
    try:
        return capture(link, link.atr, name)
    except LinkError as exc:
        raise CaptureError(str(exc)) from None
    finally:
        link.close()


# -- replay ------------------------------------------------------------------------------------

def replay(path: Path, pki: Path | None = None) -> Capture:
    """The capture of a card made in-process from the personality file ``path`` (a new
    state in a temporary folder, its own test PKI unless ``pki``): what the file makes a
    card answer."""
    from euicc_tools.emulator.card import open_card
    from euicc_tools.lpa.link import DirectLink

    from . import load_personality

    personality = load_personality(str(path))
    identity_log = logging.getLogger("euicc.identity")
    level = identity_log.level
    # the throw-away state's "generated a test PKI" says nothing about the capture
    identity_log.setLevel(max(level, logging.WARNING))
    try:
        with tempfile.TemporaryDirectory(prefix="euicc-replay-") as folder:
            card, _, store = open_card(Path(folder) / "state", pki, None,
                                       personality=personality)
            try:
                return capture(DirectLink(card), card.power_on())
            finally:
                store.close()
    finally:
        identity_log.setLevel(level)


def differences(first: Capture, second: Capture) -> list[str]:
    """What the two cards show differently: the names of the answers that are not
    byte-identical (or only one card gave), then "ISD-R AIDs" (which AIDs answer SELECT)
    and "logical channels" (how many MANAGE CHANNEL opens)."""
    names = list(first.answers) + [n for n in second.answers if n not in first.answers]
    found = [n for n in names if first.answers.get(n) != second.answers.get(n)]
    if (first.isd_r_aid, first.answering_aids) != (second.isd_r_aid, second.answering_aids):
        found.append("ISD-R AIDs")
    if first.logical_channels != second.logical_channels:
        found.append("logical channels")
    return found
