"""File system templates of the TCA eUICC Profile Package (Annex A): structure checks over
every template, spot values from the specification's tables (and the ETSI/3GPP file
definitions they follow), default contents, and the GSMA TS.48 packages as real input."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import asn1tools
import pytest

from euicc.fs.model import FileType
from euicc.ppi.templates import (
    ADF_FID,
    OID_PREFIX,
    PE_FID,
    TEMPLATES,
    FileTemplate,
    default_body,
    template,
    templates_for_pe,
)
from tests.support.saip_reading import TS48_PACKAGES
from tests.support.shared_material import shared_path

PE_ASN = Path(__file__).resolve().parents[2] / "euicc" / "asn1" / "pe.asn"
MF = 0x3F00
USIM, OPT_USIM, USIM_3 = OID_PREFIX + "4", OID_PREFIX + "5", OID_PREFIX + "4.2"
TS48 = TS48_PACKAGES  # the six of ../shared/profiles, ts48v5/ included


def _dir_contents(t) -> dict[tuple[int, ...], list[FileTemplate]]:
    """Files per DF path, with the files of the template it extends in the same ADF."""
    out: dict[tuple[int, ...], list[FileTemplate]] = {}
    for owner in ([template(t.extends)] if t.extends else []) + [t]:
        for f in owner.files:
            if f.pe_name == owner.root:
                continue
            out.setdefault(owner.path_of(f.pe_name)[:-1], []).append(f)
    return out


@pytest.fixture(scope="module")
def pe_types() -> dict:
    if not PE_ASN.exists():
        pytest.skip("euicc/asn1/pe.asn is not there yet")
    return asn1tools.parse_files([str(PE_ASN)])["PEDefinitions"]["types"]


def _file_components(pe_types: dict, pe: str) -> list[str]:
    choice = {m["name"]: m["type"] for m in pe_types["ProfileElement"]["members"] if m}
    return [m["name"] for m in pe_types[choice[pe]]["members"] if m and m["type"] == "File"]


# -- structure ----------------------------------------------------------------------------

@pytest.mark.parametrize("oid", sorted(TEMPLATES))
def test_every_file_is_a_component_of_its_profile_element(oid, pe_types):
    t = template(oid)
    components = _file_components(pe_types, t.pe)
    assert [f.pe_name for f in t.files if f.pe_name not in components] == []
    assert len(set(t.pe_names())) == len(t.files)


@pytest.mark.parametrize("pe", sorted({t.pe for t in TEMPLATES.values()}))
def test_the_newest_version_covers_every_file_component(pe, pe_types):
    newest = max(templates_for_pe(pe), key=lambda t: [int(x) for x in t.oid.split(".")])
    assert set(_file_components(pe_types, pe)) == set(newest.pe_names())


@pytest.mark.parametrize("oid", sorted(TEMPLATES))
def test_fids_are_unique_within_their_df(oid):
    for path, files in _dir_contents(template(oid)).items():
        fids = Counter(f.fid for f in files if f.fid is not None)
        assert [fid for fid, n in fids.items() if n > 1] == [], path


@pytest.mark.parametrize("oid", sorted(TEMPLATES))
def test_sfis_are_unique_per_df_and_in_range(oid):
    for path, files in _dir_contents(template(oid)).items():
        sfis = [f.sfi for f in files if f.sfi is not None]
        assert all(1 <= sfi <= 30 for sfi in sfis), path
        assert len(sfis) == len(set(sfis)), path
        assert all(not f.type.is_df for f in files if f.sfi is not None)


def test_the_dfs_of_usim_templates_do_not_collide_with_usim_files():
    usim_fids = {f.fid for f in template(USIM_3).files} | {
        f.fid for f in template(OID_PREFIX + "5.3").files}
    roots = {t.base_path[-1] for t in TEMPLATES.values() if t.parent == USIM}
    assert roots == {0x5F3A, 0x5F3B, PE_FID, 0x5FC0, 0x5FD0, 0x5FE0, 0x5FF0}
    assert not usim_fids & roots


@pytest.mark.parametrize("oid", sorted(TEMPLATES))
def test_sizes_are_given_by_the_template_or_the_profile(oid):
    for f in template(oid).files:
        if f.type.is_df:
            assert f.size is None and f.record_length is None and "pin_status" in f.from_pe
        elif f.type.is_record:
            assert f.size is None
            assert f.record_length is not None or "record_length" in f.from_pe, f.name
            assert f.record_count is not None or "record_count" in f.from_pe, f.name
        else:
            assert f.record_length is None and f.record_count is None
            assert f.size is not None or "size" in f.from_pe, f.name
        for field in ("fid", "size", "record_length", "record_count", "sfi"):
            if field in f.from_pe:
                assert getattr(f, field) is None, (f.name, field)


@pytest.mark.parametrize("oid", sorted(TEMPLATES))
def test_roots_parents_and_extended_templates(oid):
    t = template(oid)
    assert t.oid == oid and oid.startswith(OID_PREFIX)
    if t.extends:
        assert t.root is None and not t.created_by_default
        assert template(t.extends).naa == t.naa
    else:
        root = t.files[0]
        assert t.root == root.pe_name and root.type.is_df and root.parent is None
        assert t.path_of(root.pe_name) == t.base_path
    if t.parent:
        assert t.base_path[:-1] == template(t.parent).base_path
    names = set()
    for f in t.files:  # creation order: a DF before what it holds
        assert f.parent is None or f.parent in names, f.name
        names.add(f.pe_name)


# -- spot values of the tables ------------------------------------------------------------

def test_files_at_mf():
    mf = template(OID_PREFIX + "1")
    assert mf.base_path == (MF,) and mf.created_by_default
    assert mf.file("mf").type == FileType.MF and mf.file("mf").arr == bytes.fromhex("2F060E")
    iccid = mf.file("ef-iccid")
    assert (iccid.fid, iccid.type, iccid.size, iccid.arr) == (
        0x2FE2, FileType.TRANSPARENT, 10, bytes.fromhex("2F060B"))
    assert iccid.content_required
    ef_dir = mf.file("ef-dir")
    assert (ef_dir.fid, ef_dir.type, ef_dir.sfi) == (0x2F00, FileType.LINEAR_FIXED, 0x1E)
    assert {"record_length", "record_count"} <= ef_dir.from_pe
    assert mf.file("ef-arr").fid == 0x2F06 and mf.file("ef-pl").sfi == 0x05
    assert mf.path_of("ef-umpc") == (MF, 0x2F08)


def test_adf_usim():
    usim = template(USIM)
    assert usim.base_path == (MF, ADF_FID) and usim.naa == "usim" and usim.created_by_default
    adf = usim.file("adf-usim")
    assert adf.type == FileType.ADF and adf.fid is None and {"fid", "aid"} <= adf.from_pe
    assert adf.arr == bytes.fromhex("2F060E")  # an ADF's rules are in the MF's EF.ARR
    imsi = usim.file("ef-imsi")
    assert (imsi.fid, imsi.sfi, imsi.size, imsi.arr) == (
        0x6F07, 0x07, 9, bytes.fromhex("6F0602"))
    assert usim.path_of("ef-imsi") == (MF, ADF_FID, 0x6F07)
    assert usim.file("ef-arr").sfi == 0x17
    assert (usim.file("ef-ust").fid, usim.file("ef-ust").sfi) == (0x6F38, 0x04)
    assert usim.file("ef-ust").size == 14 and template(USIM_3).file("ef-ust").size == 17
    assert usim.file("ef-keysPS").high_update and not usim.file("ef-spn").high_update
    fdn = usim.file("ef-fdn")
    assert (fdn.record_count, fdn.record_length, fdn.sfi) == (20, 26, None)


def test_optional_usim_extends_usim():
    opt = template(OPT_USIM)
    assert opt.extends == USIM and opt.root is None and opt.base_path == (MF, ADF_FID)
    assert opt.file("ef-plmnwact").sfi == 0x0A and opt.file("ef-ehplmn").sfi == 0x1D
    assert opt.file("ef-ext7").fid == 0x6FCC and opt.file("ef-cfis").fid == 0x6FCB
    assert template(OID_PREFIX + "5.2").file("ef-mudmidconfigdata").fid == 0x6FFE
    assert "ef-eaka" in template(OID_PREFIX + "5.3").pe_names()
    assert "ef-eaka" not in template(OID_PREFIX + "5.2").pe_names()


def test_df_telecom():
    telecom = template(OID_PREFIX + "3")
    assert telecom.base_path == (MF, 0x7F10) and not telecom.created_by_default
    assert telecom.file("df-telecom").arr == bytes.fromhex("2F060E")
    assert telecom.path_of("ef-img") == (MF, 0x7F10, 0x5F50, 0x4F20)
    assert telecom.file("ef-img").arr == bytes.fromhex("6F0602")
    assert telecom.path_of("ef-pbr") == (MF, 0x7F10, 0x5F3A, 0x4F30)
    assert telecom.file("ef-mmssmode").fid == 0x4F22
    assert "df-v2x" in template(OID_PREFIX + "3.2").pe_names()
    assert "df-v2x" not in telecom.pe_names()


def test_df_5gs_under_adf_usim():
    for version in ("13", "13.2", "13.3", "13.4"):
        t = template(OID_PREFIX + version)
        assert t.parent == USIM and t.base_path == (MF, ADF_FID, 0x5FC0)
        loci = t.file("ef-5gs3gpploci")
        assert (loci.fid, loci.sfi, loci.size, loci.high_update) == (0x4F01, 0x01, 20, True)
        assert t.path_of("ef-5gs3gpploci") == (MF, ADF_FID, 0x5FC0, 0x4F01)
        assert t.file("df-df-5gs").arr == bytes.fromhex("6F060E")
    nsc = template(OID_PREFIX + "13").file("ef-5gs3gppnsc")
    assert (nsc.record_count, nsc.record_length) == (1, 57)
    nsc = template(OID_PREFIX + "13.3").file("ef-5gs3gppnsc")
    assert (nsc.record_count, nsc.record_length) == (2, 62)
    assert template(OID_PREFIX + "13.4").file("ef-kausf-derivation").fid == 0x4F16


def test_other_dfs_and_applications():
    assert template(OID_PREFIX + "7").file("ef-kcgprs").fid == 0x4F52
    assert template(OID_PREFIX + "14").base_path == (MF, ADF_FID, 0x5FD0)
    assert template(OID_PREFIX + "15").file("ef-pws-snpn").fid == 0x4F01
    assert template(OID_PREFIX + "16").file("ef-5g-prose-uir").sfi == 0x06
    eap = template(OID_PREFIX + "12")
    assert eap.base_path == (MF, ADF_FID, PE_FID) and "fid" in eap.file("df-eap").from_pe
    isim = template(OID_PREFIX + "8")
    assert isim.naa == "isim" and isim.file("ef-ist").fid == 0x6F07
    assert isim.file("ef-impi").sfi == 0x02 and isim.file("ef-domain").sfi == 0x05
    assert template(OID_PREFIX + "9.2").file("ef-webrtcuri").fid == 0x6FFA
    csim = template(OID_PREFIX + "10")
    assert csim.file("ef-imsi-m").fid == 0x6F22 and csim.file("ef-imsi-m").size == 10
    assert csim.file("ef-call-count").type == FileType.CYCLIC
    iot = template(OID_PREFIX + "17")
    assert iot.path_of("ef-arr-usim") == (MF, ADF_FID, 0x6F06)
    assert iot.path_of("ef-iccid") == (MF, 0x2FE2)
    assert template(OID_PREFIX + "18").path_of("ef-supi-nai") == (MF, ADF_FID, 0x5FC0, 0x4F09)


def test_unknown_oids():
    with pytest.raises(KeyError):
        template(OID_PREFIX + "4.9")
    with pytest.raises(KeyError):
        template("1.2.3")
    with pytest.raises(KeyError):
        template(USIM).file("ef-nonexistent")


# -- default contents ---------------------------------------------------------------------

def test_fill_patterns_with_head_and_tail():
    usim = template(USIM)
    assert default_body(usim.file("ef-keys")) == b"\x07" + b"\xff" * 32
    assert default_body(template(OID_PREFIX + "7").file("ef-kc")) == b"\xff" * 8 + b"\x07"
    assert default_body(usim.file("ef-start-hfn")) == bytes.fromhex("F00000F00000")
    assert default_body(usim.file("ef-hpplmn")) == b"\x0a"
    assert default_body(usim.file("ef-fplmn")) == b"\xff" * 12
    assert default_body(usim.file("ef-imsi")) == b"\xff" * 9  # no default: erased state


def test_records_are_filled_one_by_one():
    sms = default_body(template(USIM).file("ef-sms"))
    assert sms == (b"\x00" + b"\xff" * 175) * 10
    ici = default_body(template(OPT_USIM).file("ef-ici"))
    assert len(ici) == 20 * 38
    assert ici[:38] == b"\xff" * 31 + bytes.fromhex("0000000001FFFF")
    nsc = default_body(template(OID_PREFIX + "13.3").file("ef-5gsn3gppnsc"))
    assert nsc == b"\xff" * 124


def test_repeat_patterns():
    plmn = default_body(template(OPT_USIM).file("ef-plmnwact"))
    assert plmn == bytes.fromhex("FFFFFF0000") * 8
    assert default_body(template(OPT_USIM).file("ef-plmnwact"), size=12) == bytes.fromhex(
        "FFFFFF0000FFFFFF0000FFFF")


def test_sizes_from_the_profile_element():
    ef_dir = template(OID_PREFIX + "1").file("ef-dir")
    with pytest.raises(ValueError):
        default_body(ef_dir)
    assert default_body(ef_dir, record_length=4, record_count=3) == b"\xff" * 12
    assert default_body(ef_dir, record_length=4, size=8) == b"\xff" * 8
    assert default_body(template(USIM).file("ef-keys"), size=5) == b"\x07" + b"\xff" * 4
    assert default_body(template(USIM).file("ef-ad"), size=3) == b"\x00\x00\x00"
    assert default_body(template(USIM).file("adf-usim")) == b""
    assert default_body(template(OID_PREFIX + "13.2").file("ef-ursp")) == b""


# -- the TS.48 test profiles --------------------------------------------------------------

def _template_oids(der: bytes) -> set[str]:
    """Template OIDs in a package: OBJECT IDENTIFIER TLVs '06 len 67 81 0F 01 02 ...'."""
    found = set()
    for match in re.finditer(rb"\x06(.)\x67\x81\x0f\x01\x02", der, re.S):
        value = der[match.start() + 2:match.start() + 2 + match.group(1)[0]]
        arcs, acc = [], 0
        for byte in value:
            acc = acc << 7 | byte & 0x7F
            if not byte & 0x80:
                arcs.append(acc)
                acc = 0
        found.add(".".join(map(str, [2, arcs[0] - 80, *arcs[1:]])))
    return found


@pytest.mark.parametrize("name", TS48)
def test_every_template_of_the_ts48_packages_is_known(name):
    oids = _template_oids(shared_path("profiles", name).read_bytes())
    assert {OID_PREFIX + "1", OID_PREFIX + "4"} <= oids
    assert sorted(oid for oid in oids if oid not in TEMPLATES) == []


def _profile_elements(der: bytes):
    from euicc.asn1 import pe

    spec = pe()
    while der:
        value, length = spec.decode_with_length("ProfileElement", der)
        yield value
        der = der[length:]


@pytest.mark.parametrize("name", TS48)
def test_ts48_files_fit_their_templates(name):
    """Each file a TS.48 template PE lists is in its template, at the template's FID, and
    where the package leaves the size out the template gives one the content fits in."""
    checked = 0
    for kind, value in _profile_elements(shared_path("profiles", name).read_bytes()):
        if "templateID" not in value:
            continue
        t = template(value["templateID"])
        assert t.pe == kind
        for component, commands in value.items():
            if component == "templateID" or component.endswith("-header"):
                continue
            ft = t.file(component)
            fcp = next((v for k, v in commands if k == "fileDescriptor"), {})
            if ft.fid is not None and "fileID" in fcp:
                assert int.from_bytes(fcp["fileID"], "big") == ft.fid, component
            if ft.type.is_df or ft.type == FileType.BER_TLV or "efFileSize" in fcp \
                    or "linkPath" in fcp:
                continue
            descriptor = fcp.get("fileDescriptor", b"")
            length = int.from_bytes(descriptor[2:4], "big") if len(descriptor) >= 4 else None
            end = offset = 0
            for k, v in commands:
                if k == "fillFileOffset":
                    offset += v
                elif k == "fillFileContent":
                    offset += len(v)
                    end = max(end, offset)
            body = default_body(ft, record_length=length)
            assert len(body) >= end, component
            checked += 1
    assert checked > 50
