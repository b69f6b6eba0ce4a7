"""Instruction bytes (INS) of every command the card, its tools and its decoders name.

- ETSI TS 102 221 10.1.2 (table 10.5): the UICC commands of clause 11 (file, PIN, security,
  CAT, channel commands);
- ETSI TS 102 222 6.1: the administrative file commands (CREATE FILE ... RESIZE FILE);
- ISO/IEC 7816-4 and GlobalPlatform Card Specification 2.3 11: GET DATA, STORE DATA (the
  transport of SGP.22 ES10, 5.7.2), GET STATUS;
- 3GPP TS 31.102 7.1 / 7.5: AUTHENTICATE and GET IDENTITY of the USIM;
- ETSI TS 102 223 6 (by TS 102 221 11.2): TERMINAL PROFILE, ENVELOPE, FETCH, TERMINAL
  RESPONSE.

A command's name in traces and command tables is its :attr:`Ins.label` ('READ BINARY').
"""

from __future__ import annotations

from enum import IntEnum


class Ins(IntEnum):
    DEACTIVATE_FILE = 0x04
    TERMINAL_PROFILE = 0x10
    FETCH = 0x12
    TERMINAL_RESPONSE = 0x14
    VERIFY_PIN = 0x20
    CHANGE_PIN = 0x24
    DISABLE_PIN = 0x26
    ENABLE_PIN = 0x28
    UNBLOCK_PIN = 0x2C
    INCREASE = 0x32
    ACTIVATE_FILE = 0x44
    MANAGE_CHANNEL = 0x70
    MANAGE_SECURE_CHANNEL = 0x73
    TRANSACT_DATA = 0x75
    SUSPEND_UICC = 0x76
    GET_IDENTITY = 0x78
    GET_CHALLENGE = 0x84
    AUTHENTICATE = 0x88
    # the odd INS of AUTHENTICATE (TS 102 221 10.1.2: its BER-TLV form, ISO/IEC 7816-4 5.1.2)
    AUTHENTICATE_ODD = 0x89
    SEARCH_RECORD = 0xA2
    SELECT = 0xA4
    TERMINAL_CAPABILITY = 0xAA
    READ_BINARY = 0xB0
    READ_RECORD = 0xB2
    GET_RESPONSE = 0xC0
    ENVELOPE = 0xC2
    GET_DATA = 0xCA
    RETRIEVE_DATA = 0xCB
    RESIZE_FILE = 0xD4
    UPDATE_BINARY = 0xD6
    SET_DATA = 0xDB
    UPDATE_RECORD = 0xDC
    CREATE_FILE = 0xE0
    STORE_DATA = 0xE2
    DELETE_FILE = 0xE4
    TERMINATE_DF = 0xE6
    TERMINATE_EF = 0xE8
    STATUS = 0xF2
    GET_STATUS = 0xF2  # GlobalPlatform's name of the same INS with a CLA '8X' (an alias)
    TERMINATE_CARD_USAGE = 0xFE

    # The command's name as the specifications write it ('READ BINARY'); an odd INS is named
    # like its even form. A plain attribute of each member, set once below: a trace names
    # every APDU, and a property reading the Enum's ``name`` (itself a descriptor) then
    # cost more than the rest of naming a command.
    label: str


for _ins in Ins:
    _ins.label = _ins.name.removesuffix("_ODD").replace("_", " ")
del _ins
