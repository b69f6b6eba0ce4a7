"""What the fuzz targets stand on, made here so they work without ../shared: a card with a
generated test PKI and two profiles downloaded through the real SGP.22 flow (test SM-DP+,
SCP03t, the Profile Package Interpreter), one of them enabled (SGP.22 3.1 and 5.7; the
package comes from euicc_tools.testkit.profile_builder, TCA eUICC Profile Package 3.3.1),
and a rollback around each input so every input meets the same card.
"""

from __future__ import annotations

import base64
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from euicc.card import Card
from euicc.pki import generate_test_pki, load_card_credentials
from euicc.store import CardStore
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.download import download
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp, generic_file_management

ADDRESS = "fuzz.smdp.example"
ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
K = bytes(range(16))
OPC = bytes(range(16, 32))
ENABLED_ICCID, ENABLED_IMSI = "89440000000000000017", "001010000000017"
DISABLED_ICCID, DISABLED_IMSI = "89440000000000000025", "001010000000025"


def built_package(iccid: str = ENABLED_ICCID, imsi: str = ENABLED_IMSI) -> bytes:
    """MF, USIM, ISIM, DF.5GS, PINs and PUKs, MILENAGE keys, an MNO-SD and a BER-TLV EF
    made by genericFileManagement: most element kinds the interpreter knows."""
    extra = generic_file_management(90, [[
        ("filePath", bytes.fromhex("7FF1")),
        ("createFCP", {"fileDescriptor": bytes.fromhex("7921"), "fileID": bytes.fromhex("6FF0"),
                       "securityAttributesReferenced": b"\x01", "efFileSize": b"\x00\x40",
                       "shortEFID": b""}),
        ("fillFileContent", bytes.fromhex("8001AA")),
    ]])
    return build_upp(iccid, imsi, algorithm="milenage", k=K, opc=OPC, extra_elements=[extra])


@dataclass
class CardState:
    """A powered card on a temporary state directory, with what its making produced."""

    card: Card
    store: CardStore
    workdir: Path
    bpp: bytes = b""  # the bound package of the enabled profile, as the SM-DP+ sent it
    apdus: list[bytes] = field(default_factory=list)  # what the downloads and the enable sent

    @property
    def isd_r(self):
        return self.card.registry.get(ISD_R_AID)

    @contextmanager
    def rolled_back(self):
        """Run one input: the card starts from power-on, and whatever the input wrote to
        the store is rolled back (and the UICC's view of it reloaded) afterwards."""
        db = self.store._db  # the harness watches the store's own connection
        before = db.total_changes
        self.card.power_on()
        try:
            with self.store.transaction():
                yield
                raise _Rollback
        except _Rollback:
            pass
        finally:
            if db.total_changes != before:
                self.card.file_system.load()


class _Rollback(BaseException):
    """Ends the input's transaction without committing (BaseException: no handler in the
    card catches it)."""


def _capturing_bpp(smdp: Smdp, capture: dict):
    """ES9+ into ``smdp``, keeping the first bound package it sends in ``capture``."""
    es9 = es9_direct(smdp)

    def call(name, body):
        answer = es9(name, body)
        if name == "getBoundProfilePackage":
            capture.setdefault("bpp", base64.b64decode(answer["boundProfilePackage"]))
        return answer

    return call


class _RecordingLink(DirectLink):
    def __init__(self, card, log: list[bytes]) -> None:
        super().__init__(card)
        self.log = log

    def transmit(self, apdu: bytes):
        self.log.append(bytes(apdu))
        return super().transmit(apdu)


def realistic_card() -> CardState:
    """Two downloaded profiles (the first enabled), pending install notifications."""
    workdir = Path(tempfile.mkdtemp(prefix="euicc-fuzz-"))
    pki = workdir / "pki"
    generate_test_pki(pki)
    credentials = load_card_credentials(pki)
    store = CardStore(workdir / "state")
    card = build_card(store, credentials)
    card.power_on()
    profiles = workdir / "profiles"
    profiles.mkdir()
    (profiles / "FUZZ1.der").write_bytes(built_package())
    (profiles / "FUZZ2.der").write_bytes(built_package(DISABLED_ICCID, DISABLED_IMSI))
    smdp = Smdp(ADDRESS, pki, profiles)
    capture: dict = {}
    apdus: list[bytes] = []
    with Es10Client(_RecordingLink(card, apdus)) as es10:
        for matching_id in ("FUZZ1", "FUZZ2"):
            result = download(es10, _capturing_bpp(smdp, capture), ADDRESS, matching_id)
            if not result.ok:
                raise RuntimeError(f"download of {matching_id} failed: {result.result}")
        aid = next(p.isdp_aid for p in store.profiles() if p.iccid_digits == ENABLED_ICCID)
        answer = es10.call("EnableProfileRequest", {
            "profileIdentifier": ("isdpAid", aid), "refreshFlag": False},
            "EnableProfileResponse")
        if answer["enableResult"] != 0:
            raise RuntimeError(f"enable failed: {answer}")
    card.power_on()
    return CardState(card, store, workdir, capture["bpp"], apdus)
