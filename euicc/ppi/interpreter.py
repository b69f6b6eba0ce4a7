"""The Profile Package Interpreter (TCA eUICC Profile Package: Interoperable Format
Technical Specification 2.3 / 3.3, sections 8 "Profile Elements" and 9 "Installation";
SGP.22 5.5.5 and 2.5.5: the eUICC interprets the profile elements as they are decrypted).

:class:`ProfileInterpreter` takes one ProfileElement (DER) at a time, in package order:

- ``header`` first: major version 2 or 3, mandatory services and GFSTEs this eUICC has;
- the file-system elements (``mf``, ``cd``, ``telecom``, ``usim``, ``opt-usim``, ``isim``,
  ``opt-isim``, ``csim``, ``opt-csim``, ``gsm-access``, ``phonebook``, ``df-5gs``,
  ``df-saip``, ``eap``, ...) create their template's files, with the profile's overrides;
  ``genericFileManagement`` creates and fills any file;
- ``pinCodes`` / ``pukCodes`` define the PINs of the DF the last file-system element made;
- ``akaParameter`` gives the last NAA its algorithm (MILENAGE, TUAK, USIM test algorithm)
  and keys, or maps it to another NAA's;
- ``securityDomain``, ``rfm``, ``application``, ``nonStandard``, ``cdmaParameter`` are
  checked and kept, not executed;
- ``end`` closes the package.

A failing element raises :class:`PeError` with the SAIP PEStatus code and the element's
identification; the caller reports it in the ProfileInstallationResult (EUICCResponse)
and keeps nothing of the profile.
"""

from __future__ import annotations

from enum import IntEnum

from euicc.asn1 import Asn1Error, decode_known, encode, pe
from euicc.fs.model import MF_FID, File, FileTree, FileType, Pin
from euicc.store_image import AkaAlgorithmId, AkaConfig, ProfileImage

from .files import (  # _MF: the MF file type as a global (see .files)
    _MF,
    FileError,
    FileSpec,
    create,
    fill,
    merge_fcp,
    path_from_saip,
)
from .placement import TemplateError, create_template_files
from .secrets import stored_form
from .templates import TEMPLATES


class PeStatusCode(IntEnum):
    """PEStatus.status of the TCA profile package (EUICCResponse)."""

    OK = 0
    PE_NOT_SUPPORTED = 1
    MEMORY_FAILURE = 2
    BAD_VALUES = 3
    NOT_ENOUGH_MEMORY = 4
    INVALID_REQUEST_FORMAT = 5
    INVALID_PARAMETER = 6
    RUNTIME_NOT_SUPPORTED = 7
    LIB_NOT_SUPPORTED = 8
    TEMPLATE_NOT_SUPPORTED = 9
    FEATURE_NOT_SUPPORTED = 10
    PIN_CODE_MISSING = 11
    UNSUPPORTED_PROFILE_VERSION = 31


class PeError(Exception):
    def __init__(self, status: PeStatusCode, identification: int | None, detail: str) -> None:
        super().__init__(f"PE {identification}: {status.name}: {detail}")
        self.status = status
        self.identification = identification
        self.detail = detail

    def euicc_response(self) -> bytes:
        """EUICCResponse naming the failing element, profile installation aborted."""
        status = {"status": int(self.status)}
        if self.identification is not None:
            status["identification"] = self.identification
        return encode(pe(), "EUICCResponse",
                      {"peStatus": [status], "profileInstallationAborted": None})


def success_response() -> bytes:
    return encode(pe(), "EUICCResponse", {"peStatus": [{"status": PeStatusCode.OK}]})


# ServicesList members this eUICC accepts (header eUICC-Mandatory-services). CSIM is
# installed as its files, Java Card load files and instances are kept, not run; the USIM
# calculates SUCIs (get-identity, ECIES profiles A and B). What the card has nothing for
# (contactless, MULTOS, CAVE, GBA/MBMS contexts, EAP client, CAT_TP, SCP11, linked DFs
# (dfLink: linked EFs are supported, a DF with a linkPath is not), ...) fails with
# feature-not-supported, before any file is made.
SUPPORTED_SERVICES = frozenset({
    "usim", "isim", "csim", "milenage", "tuak128", "tuak256", "usim-test-algorithm",
    "multiple-usim", "multiple-isim", "multiple-csim", "ber-tlv", "javacard",
    "get-identity", "profile-a-x25519", "profile-b-p256",
})
SUPPORTED_MAJOR_VERSIONS = (2, 3)

# NAA elements whose ADF the following pinCodes / akaParameter belong to
NAA_ELEMENTS = ("usim", "isim", "csim")
KEPT_ELEMENTS = ("securityDomain", "rfm", "application", "nonStandard", "cdmaParameter")
# PIN attribute bits (SAIP PINConfiguration.pinAttributes, as this card reads them)
PIN_ENABLED, PIN_CHANGE_ALLOWED, PIN_DISABLE_ALLOWED = 0x01, 0x02, 0x04


def _identification(value: dict) -> int | None:
    for key, member in value.items():
        if key.lower().endswith("-header") and isinstance(member, dict):
            return member.get("identification")
    return None


class ProfileInterpreter:
    def __init__(self, supported_services: frozenset[str] = SUPPORTED_SERVICES) -> None:
        self.supported_services = supported_services
        self.image: ProfileImage | None = None
        self.count = 0
        self.ended = False
        self._context: File | None = None  # DF of the last file-system element
        self._last_naa: File | None = None
        self._adfs: dict[str, File] = {}  # the last ADF made by each NAA element
        # The elements fed so far as the store keeps them, secrets zeroed (.secrets)
        self.stored_elements: list[bytes] = []

    # -- entry points ----------------------------------------------------------------------
    def feed(self, element: bytes) -> None:
        try:
            (kind, value), unknown = decode_known(pe(), "ProfileElement", element)
        except Asn1Error as exc:
            raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, None, str(exc)) from None
        identification = _identification(value) if isinstance(value, dict) else None
        if kind is None:  # an alternative of a later SAIP version than this module's
            raise PeError(PeStatusCode.PE_NOT_SUPPORTED, None, "unknown profile element")
        if unknown is not None:  # e.g. a file command or an algoConfiguration of a later SAIP
            raise PeError(PeStatusCode.FEATURE_NOT_SUPPORTED, identification,
                          f"{kind}: unknown alternative at {unknown}")
        if self.ended:
            raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, identification,
                          "element after end")
        self.count += 1
        if self.count == 1 and kind != "header":
            raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, identification,
                          f"the first element is {kind}, not the header")
        if self.count > 1 and kind == "header":
            raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, identification, "second header")
        try:
            self._handle(kind, value)
            self.stored_elements.append(stored_form(kind, value, element))
        except TemplateError as exc:
            status = (PeStatusCode.TEMPLATE_NOT_SUPPORTED if exc.template_unknown
                      else PeStatusCode.BAD_VALUES)
            raise PeError(status, identification, str(exc)) from None
        except FileError as exc:
            raise PeError(PeStatusCode.BAD_VALUES, identification, str(exc)) from None
        except PeError as exc:
            if exc.identification is None:
                exc.identification = identification
            raise

    def finish(self) -> ProfileImage:
        if self.image is None or not self.ended:
            raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, None, "the package has no end")
        return self.image

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, kind: str, value) -> None:
        if kind == "header":
            self._header(value)
        elif kind == "end":
            self.ended = True
        elif kind == "genericFileManagement":
            self._generic_file_management(value)
        elif kind == "pinCodes":
            self._pin_codes(value)
        elif kind == "pukCodes":
            self._puk_codes(value)
        elif kind == "akaParameter":
            self._aka_parameter(value)
        elif kind in KEPT_ELEMENTS:
            self.image.kept.append((kind, value))
        elif "templateID" in value:
            self._template_element(kind, value)
        else:
            raise PeError(PeStatusCode.PE_NOT_SUPPORTED, None, kind)

    def _header(self, header: dict) -> None:
        major = header["major-version"]
        if major not in SUPPORTED_MAJOR_VERSIONS:
            raise PeError(PeStatusCode.UNSUPPORTED_PROFILE_VERSION, None,
                          f"version {major}.{header['minor-version']}")
        missing = set(header["eUICC-Mandatory-services"]) - self.supported_services
        if missing:
            raise PeError(PeStatusCode.FEATURE_NOT_SUPPORTED, None,
                          "mandatory services " + ", ".join(sorted(missing)))
        unknown = [oid for oid in header["eUICC-Mandatory-GFSTEList"] if oid not in TEMPLATES]
        if unknown:
            raise PeError(PeStatusCode.TEMPLATE_NOT_SUPPORTED, None, ", ".join(unknown))
        self.image = ProfileImage(FileTree(File(MF_FID, FileType.MF, name="MF")),
                                  header=header)

    # -- file system -----------------------------------------------------------------------
    def _template_element(self, kind: str, value: dict) -> None:
        tree = self.image.tree
        base = create_template_files(tree, kind, value, self._adfs)
        self._context = base
        if kind in NAA_ELEMENTS:
            self._last_naa = self._adfs[kind] = base

    def _generic_file_management(self, value: dict) -> None:
        """SAIP 8.3.3 PE-GenericFileManagement, with the meaning of TS 102 222 CREATE FILE:
        a created DF becomes the current DF, a created EF the current EF."""
        tree = self.image.tree
        current_df = tree.mf
        current: File | None = None
        offset = 0
        for command in value["fileManagementCMD"]:
            for kind, item in command:
                if kind == "filePath":
                    target = tree.find(path_from_saip(bytes(item)))
                    if target is None:
                        raise FileError(f"filePath {bytes(item).hex().upper()} not found")
                    current = None if target.type.is_df else target
                    current_df = target if target.type.is_df else target.parent
                    offset = 0
                elif kind == "createFCP":
                    spec = FileSpec()
                    merge_fcp(spec, item, current_df.type is _MF)
                    created = create(tree, current_df, spec)
                    current_df, current = (created, None) if created.type.is_df \
                        else (current_df, created)
                    offset = 0
                elif current is None:
                    raise FileError(f"{kind} without a current EF")
                else:
                    offset = fill(current, [(kind, item)], offset)

    # -- PINs, PUKs, AKA ----------------------------------------------------------------------
    def _scope(self) -> tuple[int, ...]:
        df = self._context or self.image.tree.mf
        return df.path

    def _pin_codes(self, value: dict) -> None:
        kind, codes = value["pinCodes"]
        if kind != "pinconfig":
            # PINs shared with another DF: nothing new to define
            return
        scope = self._scope()
        for code in codes:
            ref = code["keyReference"]
            attributes = code.get("pinAttributes", 7)
            counters = code.get("maxNumOfAttemps-retryNumLeft", 0x33)
            local = 0x81 <= ref <= 0x88
            if any(p.key_ref == ref and p.scope == (scope if local else ())
                   for p in self.image.pins):
                raise PeError(PeStatusCode.BAD_VALUES, None, f"PIN {ref:02X} defined twice")
            self.image.pins.append(Pin(
                key_ref=ref, value=bytes(code["pinValue"]), max_attempts=counters >> 4,
                attempts_left=counters & 0x0F, enabled=bool(attributes & PIN_ENABLED),
                unblock_ref=code.get("unblockingPINReference"),
                can_change=bool(attributes & PIN_CHANGE_ALLOWED),
                can_disable=bool(attributes & PIN_DISABLE_ALLOWED),
                scope=scope if local else (),
            ))

    def _puk_codes(self, value: dict) -> None:
        for code in value["pukCodes"]:
            counters = code.get("maxNumOfAttemps-retryNumLeft", 0xAA)
            ref = code["keyReference"]
            self.image.puks[ref] = Pin(key_ref=ref, value=bytes(code["pukValue"]),
                                       max_attempts=counters >> 4,
                                       attempts_left=counters & 0x0F, puk=True)

    def _aka_parameter(self, value: dict) -> None:
        naa = self._last_naa
        if naa is None or naa.aid is None:
            raise PeError(PeStatusCode.BAD_VALUES, None, "akaParameter without an NAA")
        kind, config = value["algoConfiguration"]
        if kind == "mappingParameter":
            source = bytes(config["mappingSource"])
            for aka in self.image.aka:
                if source in aka.adf_aids:
                    aka.adf_aids += (naa.aid,)
                    return
            raise PeError(PeStatusCode.BAD_VALUES, None, "mappingSource has no AKA parameters")
        try:
            algorithm = AkaAlgorithmId(config["algorithmID"])
        except ValueError:
            raise PeError(PeStatusCode.FEATURE_NOT_SUPPORTED, None,
                          f"algorithm {config['algorithmID']}") from None
        key, opc = bytes(config["key"]), bytes(config["opc"])
        if algorithm is AkaAlgorithmId.MILENAGE:
            valid = len(key) == 16 and len(opc) == 16
        elif algorithm is AkaAlgorithmId.TUAK:
            valid = len(key) in (16, 32) and len(opc) == 32
        else:
            valid = 1 <= len(key) <= 16
        if not valid:
            raise PeError(PeStatusCode.BAD_VALUES, None, "key or OPc length")
        sqn_init = value.get("sqnInit")
        self.image.aka.append(AkaConfig(
            algorithm=algorithm, options=config["algorithmOptions"][0], key=key, opc=opc,
            rotation=bytes(config.get("rotationConstants", bytes.fromhex("4000204060"))),
            constants=bytes(config.get("xoringConstants", AkaConfig.constants)),
            keccak_iterations=config.get("numberOfKeccak", 1),
            sqn_options=value.get("sqnOptions", b"\x02")[0],
            sqn_delta=bytes(value.get("sqnDelta", AkaConfig.sqn_delta)),
            sqn_age_limit=bytes(value.get("sqnAgeLimit", AkaConfig.sqn_age_limit)),
            # asn1tools hands back the DEFAULT of this SEQUENCE OF as text: all zero
            sqn_init=tuple(bytes(s) for s in sqn_init) if isinstance(sqn_init, list) else (),
            adf_aids=(naa.aid,),
            auth_counter_max=bytes(config["authCounterMax"]) if "authCounterMax" in config
            else None,
        ))


def interpret(elements: list[bytes]) -> ProfileImage:
    """A whole package at once (elements in order); raises :class:`PeError`."""
    interpreter = ProfileInterpreter()
    for element in elements:
        interpreter.feed(element)
    return interpreter.finish()
