"""The card store's form of an ISD-P's files (euicc/store.py, euicc/store_image.py; schema 3):
the files as the Profile Package Interpreter installed them (TCA eUICC Profile Package 8.3)
are one ``isdp_image`` row, a file changed since by a command (ETSI TS 102 221 11.1.4 UPDATE
BINARY, 11.1.6 UPDATE RECORD) one ``isdp_files`` row that replaces the image's copy; a
schema 2 store's one row per file is packed by the migration (euicc/migrations.py), and an
ISD-P's delete leaves neither (SGP.22 3.2.3)."""

from __future__ import annotations

import struct

import pytest

from euicc.fs.model import path_text
from euicc.migrations import migrate
from euicc.ppi import interpret
from euicc.store import SCHEMA_KEY, SCHEMA_VERSION, CardStore
from euicc.store_image import (
    _attributes,
    _from_packed,
    file_rows,
    pack_rows,
    secret_rows,
    tree_from_rows,
    unpack_rows,
)
from euicc.tlv import split
from euicc_tools.testkit.profile_builder import build_upp

ICCID = "8944000000000000089"
K, OPC = bytes(range(16)), bytes(range(16, 32))


def installed(store: CardStore, add_profile) -> tuple[bytes, list]:
    record = add_profile(ICCID)
    image = interpret(split(build_upp(ICCID, "001010000000889", k=K, opc=OPC)))
    rows = file_rows(image.tree)
    store.set_profile_image(record.isdp_aid, rows, secret_rows(image))
    return record.isdp_aid, rows


def count(store: CardStore, table: str) -> int:
    return store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_pack_and_unpack_give_the_rows_back():
    rows = [("3F00", '{"a": "\u00e9"}', b""), ("3F00/2FE2", "{}", bytes(range(256)) * 3),
            ("3F00/2F05", b"\x00\x80packed", b"\x01")]  # text and packed attributes
    assert unpack_rows(pack_rows(rows)) == rows
    assert unpack_rows(pack_rows([])) == []


def test_packed_attributes_give_the_tree_the_json_text_gives():
    """Version 2 images pack each file's attributes; the tree read back from them is the
    tree read back from the JSON text of version 1 (every attribute of every file, the
    links between linked EFs included)."""
    image = interpret(split(build_upp(ICCID, "001010000000889", k=K, opc=OPC,
                                      include=("mf", "usim", "isim", "df-5gs"))))
    packed = file_rows(image.tree)
    text = [(path, _attributes(f, link), body) for (path, _, body), f, link
            in zip(packed, _files_in_row_order(image.tree), _links(packed), strict=True)]
    assert all(isinstance(a, bytes) for _, a, _ in packed)
    assert sum(len(a) for _, a, _ in packed) * 2 < sum(len(a) for _, a, _ in text)
    assert _snapshot(tree_from_rows(unpack_rows(pack_rows(packed)))) \
        == _snapshot(tree_from_rows(unpack_rows(_version_1(text)))) \
        == _snapshot(image.tree)


def _version_1(rows) -> bytes:
    """An image as the version before packed attributes wrote it (JSON text, no marks)."""
    parts = [b"\x01"]
    for path, attributes, body in rows:
        key, text = path.encode(), attributes.encode()
        parts += (struct.pack(">HHI", len(key), len(text), len(body)), key, text, body)
    return b"".join(parts)


def _files_in_row_order(tree):
    """The files in file_rows' order (parents first, children in creation order)."""
    out, pending = [], [tree.mf]
    while pending:
        f = pending.pop()
        out.append(f)
        if f.type.is_df:
            pending.extend(reversed(f.children))
    return out


def _links(rows):
    """The link each packed row names (the file holding its body), from its attributes."""
    return [_from_packed(attributes, body)[1] for _, attributes, body in rows]


def _snapshot(tree):
    return [(path_text(f.path), f.fid, f.type, f.name, f.aid, f.sfi, f.size, f.record_length,
             f.shareable, f.lcsi, f.security, f.pin_status, f.proprietary, f.total_size,
             bytes(f.body), next(g for g in tree.walk() if g.body is f.body).path)
            for f in tree.walk()]


@pytest.mark.parametrize("damage", [b"", b"\x03", b"\x01\x00\x04", b"\x01\x00\x04\x00\x00"
                                    b"\x00\x00\x00\x003F0", b"\x02\x00\x04\x80\x05"])
def test_a_damaged_image_is_refused_with_its_reason(damage):
    with pytest.raises(ValueError, match="stored file image"):
        unpack_rows(damage)


def test_an_install_is_one_image_row_and_an_update_one_row_in_its_place(store, add_profile):
    aid, rows = installed(store, add_profile)
    assert count(store, "isdp_image") == 1 and count(store, "isdp_files") == 0
    assert store.profile_files(aid) == rows
    path, attributes, body = rows[5]
    store.update_file(aid, path, attributes, b"\x5a" * len(body))
    store.update_file(aid, path, attributes, b"\x5b" * len(body))  # the latest wins
    assert count(store, "isdp_files") == 1
    expected = [*rows[:5], (path, attributes, b"\x5b" * len(body)), *rows[6:]]
    assert store.profile_files(aid) == expected
    store.update_file(aid, "3F00/0BAD", "{}", b"")  # no such file: nothing shows
    assert store.profile_files(aid) == expected


def test_a_new_image_replaces_the_files_and_their_updates(store, add_profile):
    aid, rows = installed(store, add_profile)
    store.update_file(aid, rows[5][0], rows[5][1], b"\x00" * len(rows[5][2]))
    store.set_profile_image(aid, rows[:3], [])
    assert store.profile_files(aid) == rows[:3] and count(store, "isdp_files") == 0


def test_a_deleted_profile_leaves_no_image_or_changed_file(store, add_profile):
    aid, rows = installed(store, add_profile)
    store.update_file(aid, rows[5][0], rows[5][1], b"\x00" * len(rows[5][2]))
    store.delete_profile(aid)
    assert count(store, "isdp_image") == 0 and count(store, "isdp_files") == 0
    assert store.profile_files(aid) == []


def schema_2_store(store: CardStore, add_profile) -> tuple[bytes, list]:
    """What a schema 2 card left: one isdp_files row per file, one of them since updated."""
    record = add_profile(ICCID)
    image = interpret(split(build_upp(ICCID, "001010000000889", k=K, opc=OPC)))
    rows = file_rows(image.tree)
    path, attributes, body = rows[7]
    rows[7] = (path, attributes, b"\x42" * len(body))
    with store.transaction():
        store._db.executemany(
            "INSERT INTO isdp_files(isdp_aid, path, seq, attributes, body) VALUES(?, ?, ?, ?, ?)",
            [(record.isdp_aid, p, n, a, b) for n, (p, a, b) in enumerate(rows)])
        store.set_meta(SCHEMA_KEY, 2)
        store._db.execute("DROP TABLE isdp_image")  # schema 2 had none
    return record.isdp_aid, rows


def test_schema_2_files_are_read_as_they_are_and_packed_by_the_migration(store, add_profile,
                                                                         tmp_path):
    aid, rows = schema_2_store(store, add_profile)
    reader = CardStore(store.path.parent, read_only=True)  # the shell beside an older card
    try:
        assert reader.profile_files(aid) == rows
    finally:
        reader.close()
    store.close()
    store = CardStore(store.path.parent)  # a card of this version: the table made at open
    assert store.profile_files(aid) == rows  # before the migration
    assert migrate(store) is True
    assert store.schema_version == SCHEMA_VERSION == 3
    assert count(store, "isdp_image") == 1 and count(store, "isdp_files") == 0
    assert store.profile_files(aid) == rows
    assert migrate(store) is False
    store.close()
