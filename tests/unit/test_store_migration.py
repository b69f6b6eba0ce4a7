"""Profile elements kept without their secrets (TCA eUICC Profile Package 8.6.1 akaParameter
key/opc, 8.7 pinCodes/pukCodes values, 8.8 securityDomain key data) and the card store's
schema migration 1 -> 2 (euicc/migrations.py): a profile stored before the card interpreted
elements is interpreted once at start and shows its file system; stored elements lose their
secrets; no superseded copy stays in the database file or its WAL (SGP.22 3.2.3)."""

from __future__ import annotations

import sqlite3

from euicc.migrations import migrate
from euicc.ppi import ProfileInterpreter, blank_secrets, elements_without_secrets, interpret
from euicc.ppi.secrets import SECRET_FIELDS
from euicc.store import SCHEMA_KEY, SCHEMA_VERSION, CardStore
from euicc.store_image import SECRET_AKA, file_rows, image_from_rows, secret_rows
from euicc.tlv import split
from euicc_tools.emulator.card import build_card
from euicc_tools.shell.view import element_summary
from euicc_tools.testkit.profile_builder import (
    DEFAULT_PINS,
    DEFAULT_PUKS,
    USIM_AID,
    build_upp,
    pin_value,
)

K = bytes.fromhex("8F3E5A61C2D94B07E1A6355C90D2F4B8")
OPC = bytes.fromhex("1D62C7A09E4F3B58A2C4E6F8091B3D5F")
SD_KEYS = [bytes(range(start, start + 16)) for start in (0x40, 0x50, 0x60)]  # profile_builder's
ICCID = "8944000000000000088"


def package_elements() -> list[bytes]:
    return split(build_upp(ICCID, "001010000000888", k=K, opc=OPC))


def secrets() -> list[bytes]:
    """Every secret value build_upp put in the package, as it is coded there."""
    values = [pin_value(v) for v in (*DEFAULT_PINS.values(), *DEFAULT_PUKS.values())]
    return [K, OPC, *SD_KEYS, *values]


def assert_no_secret_in(data: bytes) -> None:
    text = data.hex()
    for secret in secrets():
        assert secret not in data and secret.hex() not in text, secret.hex()


def content_rows(store: CardStore) -> bytes:
    with sqlite3.connect(store.path) as db:
        return b"".join(bytes(r[0]) for r in db.execute("SELECT element FROM isdp_content"))


def test_blanking_zeroes_the_secrets_and_nothing_else():
    elements = package_elements()
    blanked = elements_without_secrets(elements)
    assert len(blanked) == len(elements)
    assert_no_secret_in(b"".join(blanked))
    touched = 0
    for original, stored in zip(elements, blanked, strict=True):
        if original[0] not in SECRET_FIELDS:
            assert stored == original  # file templates and files: the very bytes
            continue
        touched += 1
        # the same structure with each changed byte now zero: only values were blanked
        assert len(stored) == len(original)
        assert all(new == 0 for old, new in zip(original, stored, strict=True) if old != new)
        assert stored != original
    # pukCodes, pinCodes of the MF, USIM and ISIM, akaParameter of each NAA, securityDomain
    assert touched == 7
    assert element_summary(blanked) == element_summary(elements)


def test_the_interpreter_stores_what_blanking_would():
    """The download path takes the stored form from the values the interpreter decoded
    (no second decode); it is byte for byte what blanking the received elements gives, and
    the interpreted secrets are untouched by it."""
    elements = package_elements()
    interpreter = ProfileInterpreter()
    for element in elements:
        interpreter.feed(element)
    assert interpreter.stored_elements == elements_without_secrets(elements)
    image = interpreter.finish()
    assert image.aka[0].key == K and image.aka[0].opc == OPC


def test_blanking_a_broken_secret_element_keeps_nothing_of_it():
    aka = next(e for e in package_elements() if e[0] == 0xA4)
    assert blank_secrets(aka[:-3]) == b""
    assert blank_secrets(b"") == b""


def old_store(store: CardStore, add_profile, *, interpreted: bool) -> bytes:
    """A schema 1 store: the profile's elements as received, files rows only if the
    profile was installed by a version with the interpreter."""
    record = add_profile(ICCID, enabled=True)
    elements = package_elements()
    store.set_profile_content(record.isdp_aid, b"\xbf\x24\x00", elements)
    if interpreted:
        image = interpret(elements)
        store.set_profile_image(record.isdp_aid, file_rows(image.tree), secret_rows(image))
    store.set_meta(SCHEMA_KEY, 1)
    return record.isdp_aid


def test_schema_1_profile_without_files_is_interpreted_at_open(store, add_profile,
                                                               credentials):
    aid = old_store(store, add_profile, interpreted=False)
    assert store.profile_files(aid) == []
    card = build_card(store, credentials)
    assert store.schema_version == SCHEMA_VERSION == 3
    tree = card.file_system.engine.tree
    adf = next(f for f in tree.walk() if f.aid and f.aid.startswith(USIM_AID[:7]))
    imsi = next(f for f in adf.children if f.fid == 0x6F07)
    assert bytes(imsi.body) == bytes.fromhex("080910100000008088")
    image = image_from_rows(store.profile_files(aid), store.profile_secrets(aid))
    assert [a.key for a in image.aka] == [K, K] and image.aka[0].opc == OPC
    assert_no_secret_in(content_rows(store))
    listing = element_summary(store.profile_elements(aid))
    assert "akaParameter algorithm MILENAGE" in listing
    assert any(line.startswith("securityDomain ") and "3 keys" in line for line in listing)


def test_schema_1_interpreted_profile_keeps_its_files_and_loses_element_secrets(
        store, add_profile):
    aid = old_store(store, add_profile, interpreted=True)
    path, attributes, body = store.profile_files(aid)[1]
    store.update_file(aid, path, attributes, b"\x5a" * len(body))  # an UPDATE since install
    files = store.profile_files(aid)
    assert migrate(store) is True
    assert store.profile_files(aid) == files
    assert [k for k, _, _ in store.profile_secrets(aid)].count(SECRET_AKA) == 2
    assert_no_secret_in(content_rows(store))
    assert migrate(store) is False  # once


def test_migration_leaves_no_copy_of_an_element_secret_on_disk(store, add_profile):
    old_store(store, add_profile, interpreted=True)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert SD_KEYS[0] in store.path.read_bytes()  # the schema 1 store held it
    migrate(store)
    wal = store.path.with_name(store.path.name + "-wal")
    on_disk = store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for key in SD_KEYS:  # kept in no row now (not a NAA secret)
        assert key not in on_disk


def test_schema_1_uninterpretable_profile_shows_an_empty_mf(store, add_profile, credentials):
    record = add_profile(ICCID, enabled=True)
    store.set_profile_content(record.isdp_aid, b"", [b"\xa0\x03\x80\x01\x02"])
    store.set_meta(SCHEMA_KEY, 1)
    card = build_card(store, credentials)
    tree = card.file_system.engine.tree
    assert tree.mf.fid == 0x3F00 and tree.mf.children == []
    assert store.schema_version == SCHEMA_VERSION


def test_a_new_store_starts_at_the_current_version(tmp_path):
    store = CardStore(tmp_path / "state")
    try:
        assert store.schema_version == SCHEMA_VERSION and migrate(store) is False
    finally:
        store.close()
