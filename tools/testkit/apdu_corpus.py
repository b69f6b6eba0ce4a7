"""Random and mutated C-APDUs (ISO/IEC 7816-4 5.1) for the robustness tests (unit:
in-process, integration: through pcscd), made from SEEDS, valid commands of the card's
applications that also seed the fuzz targets of bench/fuzz. Drawn from a seeded
``random.Random``, so a failure can be replayed."""

from __future__ import annotations

import random

ISD_R = "A0000005591010FFFFFFFF8900000100"
SEEDS = [bytes.fromhex(h) for h in (
    "80AA00000AA9088100820101830107", "0070000001", "0070800100", "01A4040010" + ISD_R,
    "00A4040410" + ISD_R + "00", "00A40004023F00", "80C0000010", "80F2000000",
    "81E2910006BF3E035C015A", "80E2910003BF2000", "80E2910003BF2200", "80E2910003BF2D00",
    "80E2910003BF2800", "80E2910003BF3C00", "80E2910003BF4300", "80E2910003BF2E00",
    "80E2910007BF3404820205E0", "80E291000ABF3F0780057465737400",
    "80E291000CBF310AA0055A03000000810100", "80E2910008BF2B05A003800101",
    "80E2910006BF3003800101", "80E2910015BF41128010000102030405060708090A0B0C0D0E0F8101" "00",
    "80E2110005BF2D03A001", "80E2910100", "00CA005A00", "00CA7F2100",
)]


def _with_lc(header: bytes, data: bytes, le: bytes = b"") -> bytes:
    return header + (bytes([len(data)]) + data if data else b"") + le


def _mutate(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.5 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op < 0.7 and len(data) > 1:
            del data[rng.randrange(len(data)):]
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
    return data


def random_apdu(rng: random.Random, min_length: int = 0) -> bytes:
    kind = rng.random()
    if kind < 0.15:  # steer state: select the ISD-R or the MF, open or close channels
        ch = rng.randrange(4)
        apdu = rng.choice([
            bytes([ch, 0xA4, 0x04, 0x00, 0x10]) + bytes.fromhex(ISD_R),
            bytes([ch, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]),
            bytes.fromhex("0070000001"), bytes([0x00, 0x70, 0x80, ch, 0x00]),
        ])
    elif kind < 0.5:  # a valid command with its data mutated and Lc kept consistent
        seed = rng.choice(SEEDS)
        data = bytes(_mutate(bytearray(seed[5 : 5 + seed[4]] if len(seed) > 5 else b""), rng))
        cla = seed[0] & 0xFC | rng.randrange(4) if rng.random() < 0.3 else seed[0]
        header = bytes([cla]) + seed[1:4]
        apdu = _with_lc(header, data[:255], b"\x00" if rng.random() < 0.2 else b"")
    elif kind < 0.7:  # plausible classes and instructions, random but well-framed body
        cla = rng.choice([0x00, 0x01, 0x02, 0x03, 0x40, 0x4F, 0x80, 0x81, 0x83, 0xC1, 0xFF,
                          rng.randrange(256)])
        ins = rng.choice([0xA4, 0x70, 0xC0, 0xF2, 0xAA, 0xE2, 0xCA, 0xB0, 0xD6,
                          rng.randrange(256)])
        body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 3, 5, 40, 250])))
        header = bytes([cla, ins, rng.randrange(256), rng.randrange(256)])
        apdu = _with_lc(header, body, bytes([rng.randrange(256)]) if rng.random() < 0.3 else b"")
    elif kind < 0.9:  # a valid command mutated anywhere, framing included
        apdu = bytes(_mutate(bytearray(rng.choice(SEEDS)), rng))
    else:  # plain noise
        apdu = bytes(rng.randrange(256) for _ in range(rng.randint(0, 270)))
    if len(apdu) < min_length:
        apdu += bytes(min_length - len(apdu))
    return apdu


def is_status_word(sw: int) -> bool:
    """ISO/IEC 7816-4 5.1.3: SW1 is 61-6F or 90-9F."""
    return 0x6100 <= sw <= 0x6FFF or 0x9000 <= sw <= 0x9FFF
