"""Template-based file-system elements (TCA eUICC Profile Package 2.3/3.3, 8.3.2
"Template based file system elements" and Annex A): the element names its template OID;
each file member of the element creates that template file, with the template's FCP and
default content unless the element's ``fileDescriptor`` and fill commands say otherwise.
A template created by default (MF, ADF.USIM, ADF.ISIM, ...) also creates the files the
element leaves out, except those whose size or identifier only the element can give; an
optional-files template creates only the files the element names. ``doNotCreate`` skips
a file either way.
"""

from __future__ import annotations

from euicc.fs.model import File, FileTree, FileType

from .files import (  # _MF, _ADF: file types as globals (see .files)
    _ADF,
    _MF,
    HIGH_UPDATE_ACTIVITY,
    FileError,
    FileSpec,
    create,
    fill,
    merge_fcp,
    security_referenced,
)
from .templates import ADF_FID, PE_FID, FileTemplate, Template, default_body, template


class TemplateError(ValueError):
    """A template element that cannot be placed (unknown OID, missing base DF)."""

    template_unknown = False


def create_template_files(tree: FileTree, kind: str, value: dict,
                          adfs: dict[str, File]) -> File:
    """Create the files of one template element; returns its base DF (the DF whose
    pinCodes may follow). ``adfs`` holds the last ADF of each NAA element so far."""
    oid = value["templateID"]
    try:
        t = template(oid)
    except KeyError:
        error = TemplateError(f"template {oid} is not supported")
        error.template_unknown = True
        raise error from None
    if t.pe != kind:
        raise TemplateError(f"template {oid} ({t.name}) is not for a {kind} element")
    created: dict[str, File] = {}
    if t.root is None:
        base = _resolve(tree, t.base_path, t, adfs)
    else:
        base = _create_root(tree, t, value, adfs)
        created[t.root] = base
    for ft in t.files:
        if ft.pe_name == t.root:
            continue
        if ft.pe_name in value:
            commands = value[ft.pe_name]
        elif t.created_by_default and not ft.from_pe:
            commands = []  # SAIP 8.3.2: a default template creates its files unless told not to
        else:
            continue
        if commands and ("doNotCreate", None) in commands:  # NULL decodes as None
            continue
        parent = created.get(ft.parent) if ft.parent else base
        if parent is None:
            continue  # its DF was not created
        created[ft.pe_name] = _create(tree, parent, ft, commands)
    return base


def _resolve(tree: FileTree, path: tuple[int, ...], t: Template,
             adfs: dict[str, File]) -> File:
    node = tree.mf
    for fid in path[1:]:
        if fid == ADF_FID:
            node = adfs.get(t.naa)
            if node is None:
                raise TemplateError(f"{t.name} needs an {t.naa} element before it")
        else:
            child = node.child(fid)
            if child is None:
                raise TemplateError(f"{t.name}: no DF {fid:04X} in {node.label}")
            node = child
    return node


def _create_root(tree: FileTree, t: Template, value: dict, adfs: dict[str, File]) -> File:
    ft = t.file(t.root)
    commands = value[t.root]
    if ft.type == FileType.MF:
        spec = _spec(ft, commands, parent_is_mf=True)
        mf = tree.mf  # exists before any element: it takes what the element states of it
        mf.security, mf.pin_status, mf.lcsi = spec.security, spec.pin_status, spec.lcsi
        mf.shareable = spec.shareable
        return mf
    parent = tree.mf if ft.type == FileType.ADF else _resolve(tree, t.base_path[:-1], t, adfs)
    return _create(tree, parent, ft, commands)


def _spec(ft: FileTemplate, commands: list, parent_is_mf: bool) -> FileSpec:
    # the template's spec, copied (see _template_spec) through the constructor: an
    # instance whose __dict__ is filled by update() loses CPython's shared-key layout, and
    # every later read of its fields (merge_fcp, build_file) costs more
    spec = FileSpec(*_template_spec(ft, parent_is_mf))
    for kind, item in commands:
        if kind == "fileDescriptor":
            merge_fcp(spec, item, parent_is_mf)
    return spec


# A template file's spec before the element's Fcp changes it, made once per template file
# (and place: under the MF or not): a TS.48 package creates some 190 template files.
_TEMPLATE_SPECS: dict[tuple[int, bool], tuple[FileTemplate, tuple]] = {}


def _template_spec(ft: FileTemplate, parent_is_mf: bool) -> tuple:
    """The template file's FileSpec fields, in their order."""
    known = _TEMPLATE_SPECS.get((id(ft), parent_is_mf))
    if known is not None and known[0] is ft:
        return known[1]
    fields = tuple(vars(FileSpec(  # its fields' values, set by __init__ in their order
        fid=ft.fid if ft.fid not in (None, PE_FID) else None, type=ft.type, name=ft.name,
        aid=ft.aid, sfi=ft.sfi if ft.sfi is not None else -1, size=ft.size,
        record_length=ft.record_length, record_count=ft.record_count,
        shareable=ft.shareable, lcsi=ft.lcsi,
        security=security_referenced(ft.arr, parent_is_mf) if ft.arr else b"",
        pin_status=ft.pin_status or b"",
        special_info=bytes([HIGH_UPDATE_ACTIVITY]) if ft.high_update else None,
    )).values())
    _TEMPLATE_SPECS[id(ft), parent_is_mf] = (ft, fields)  # ft kept: its id stays its own
    return fields


def _create(tree: FileTree, parent: File, ft: FileTemplate, commands: list) -> File:
    spec = _spec(ft, commands, parent.type is _MF)
    if ft.type is _ADF and spec.fid is None:
        raise FileError(f"{ft.name} has no temporary file identifier")
    def template_default(f: File) -> bytes:
        if f.type != ft.type and not (f.type.is_record and ft.type.is_record):
            return bytes(f.body)  # the profile changed the structure: no template content
        try:
            return default_body(ft, size=f.size, record_length=f.record_length or None)
        except ValueError as exc:
            raise FileError(str(exc)) from None

    f = create(tree, parent, spec, template_default)
    if commands:  # fill carries out the fill commands and passes over the fileDescriptor
        fill(f, commands)
    return f

