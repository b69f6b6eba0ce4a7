"""The store's rows of an interpreted profile (euicc.store_image): a file's attributes are
written exactly as ``json.dumps(sort_keys=True)`` writes them, and the rows read back into
the same tree (TS 102 221 11.1.1.4 file attributes as the FCP reports them)."""

import json

from euicc.fs.model import File, FileTree, FileType
from euicc.ppi import ProfileInterpreter
from euicc.store_image import _attributes, file_rows, tree_from_rows
from euicc.tlv import split
from euicc_tools.testkit.sized_packages import base_package


def _by_encoder(f: File, link: str | None) -> str:
    return json.dumps({
        "aid": f.aid.hex() if f.aid else None, "fid": f.fid, "lcsi": f.lcsi, "link": link,
        "name": f.name, "pin_status": f.pin_status.hex(), "proprietary": f.proprietary.hex(),
        "record_length": f.record_length, "security": f.security.hex(), "sfi": f.sfi,
        "shareable": f.shareable, "size": f.size, "total_size": f.total_size,
        "type": f.type.value,
    }, sort_keys=True)


def _image():
    interpreter = ProfileInterpreter()
    for element in split(base_package(None)[0]):
        interpreter.feed(element)
    return interpreter.finish()


def test_attributes_of_a_profile_as_the_json_encoder_writes_them():
    files = list(_image().tree.walk())
    assert len(files) > 40  # TS.48 has 252, the built profile where ../shared is absent 42
    for f in files:
        assert _attributes(f, None) == _by_encoder(f, None)


def test_attributes_of_unusual_files_as_the_json_encoder_writes_them():
    odd = [
        File(None, FileType.ADF, name='ADF "quoted" \\ ünïcode\n', aid=bytes.fromhex("A0FF")),
        File(0x6F01, FileType.LINEAR_FIXED, name="", sfi=None, record_length=0, size=0,
             shareable=False, total_size=1234, security=b"", pin_status=b"\xc6\x00"),
        File(0x6F02, FileType.BER_TLV, name="EF.X", sfi=30, size=1 << 20),
    ]
    for f in odd:
        for link in (None, "3F00/7FFF/6F01", 'a"b'):
            assert _attributes(f, link) == _by_encoder(f, link)


def test_rows_read_back_into_the_same_tree():
    tree = _image().tree
    again = tree_from_rows(file_rows(tree))
    assert file_rows(again) == file_rows(tree)
    assert isinstance(again, FileTree)
