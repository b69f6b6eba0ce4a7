"""A card state the shell can look into without a card running: profiles put into the
store the way an installation does, one of them enabled with the file system, PINs and
keys the Profile Package Interpreter makes of a built package (TCA eUICC Profile Package,
PE-USIM / PE-ISIM with EF.AD, TS 31.102 4.2.18)."""

from __future__ import annotations

from pathlib import Path

from euicc.ppi import interpret
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc.store_image import file_rows, secret_rows
from euicc.tlv import split
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.profile_metadata import iccid_bytes, metadata_der

ISDP_AID = bytes.fromhex("A0000005591010FFFFFFFF8900001000")


def interpreted_state(store: CardStore, iccid: str, imsi: str, *, mnc_length: int = 2,
                      name: str = "Shell test") -> Path:
    """Add an enabled, interpreted profile to ``store``; returns the state directory."""
    store.add_profile(ProfileRecord(ISDP_AID, iccid_bytes(iccid), ProfileState.ENABLED,
                                    ProfileClass.OPERATIONAL, metadata_der(iccid, name=name)))
    image = interpret(split(build_upp(iccid, imsi, mnc_length=mnc_length, algorithm="milenage",
                                      k=bytes(16), opc=bytes(16))))
    store.set_profile_image(ISDP_AID, file_rows(image.tree), secret_rows(image))
    return store.path.parent
