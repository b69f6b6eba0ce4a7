"""Card personalities: what one real eUICC model looks like from outside, as data (a TOML
file; the built-in ones ship beside this module). Read by :func:`load_personality`::

    [personality]
    name = "sysmoEUICC1-C2T"          # what `--personality NAME` and the state record
    description = "..."               # one line
    source = "..."                    # where the facts come from (public)

    [card]
    atr = "3B9F96803F..."             # the ATR (ISO/IEC 7816-3 8.2), hex; default: the
                                      # emulator's (euicc/card.py DEFAULT_ATR)
    isd_r_aid = "A0000005591010FFFFFFFF8900000100"  # the ISD-R's AID (SGP.22 2.2.1)
    logical_channels = 4              # channels incl. the basic one, 1 .. 20 (7816-4 5.1.1)
    eum = "89049032"                  # EID prefix of the EUM's range: the card's EID must
                                      # start with it (SGP.29 EID structure)
    eid = "89049032123451234512345678901235"  # optional: the EID a new state gets when
                                      # --eid is not given (one chip's: a capture's)
    lpa = "lpac"                      # the LPA this chip is used with: ATR checks warn
                                      # about what it needs (lpac/pcscd: T=0 offered)
    quirks = ["standard_isd_r_also"]  # behaviour switches, :class:`Quirk` (each with the
                                      # public source of the LPA workaround)
    max_store_data = 64               # optional: the longest STORE DATA data field the
                                      # ISD-R takes, 6 .. 65535 (default: any a short or
                                      # extended APDU carries); its FCI '9F65' says it
    max_response = 128                # optional: the most response data in one R-APDU,
                                      # 16 .. 256 (default 256); the rest by '61xx'
    sgp32 = "1.0"                     # an IoT eUICC of this SGP.32 version, "1.0" (the
                                      # built-in personality `iot`) or "1.2" (BF59 / BF5A
                                      # the v1.2 functions); absent: the SGP.22 card

    [ecasd]                           # optional: the CIs the ECASD holds (:mod:`.ecasd`)
    ci_pkids_for_verification = ["F54172BDF98A95D65CBEB88A38A1C11D800A85C3"]
    ci_pkids_for_signing = [...]      # default: the same

    [factory]                         # a scenario's [preset], the same keys and reader
                                      # (euicc_applets.isd_r.presets / .preset_config):
                                      # svn, addresses, [factory.euicc_info2],
                                      # [[factory.profile]] pre-loaded as the EUM does

A factory profile's ``package = "builtin:test"`` is a UPP this module makes with the test
profile builder (:func:`euicc_tools.testkit.profile_builder.build_upp`, fixed test keys)
for that profile's ICCID: no real UPP can ship with the project. Errors are
:class:`~euicc.faults.ScenarioError` with the file and the line of the key.

Sizes. ``max_store_data`` is the data field a chip's ISD-R buffer takes per STORE DATA block
(SGP.22 5.7.2, GlobalPlatform Card Specification 2.3 11.11): its SELECT FCI declares it in
'9F65' "maximum length of data field in command message" (GlobalPlatform 11.9.3.1; 'FF'
without a limit), and a longer block is answered '6700' wrong length (GlobalPlatform 11.1.3
general error conditions, ISO/IEC 7816-4 5.6), the ES10 command it began dropped. This is
what lpac's ``LPAC_CUSTOM_ES10X_MSS`` works around: lpac (estkme-group/lpac euicc/euicc.c
``es10x_command_iter``) cuts every ES10 request into STORE DATA blocks of ``es10x_mss``
bytes, 120 by default, P1 '11' and the last '91', and the variable (src/main.c, 6 .. 255,
docs/ENVVARS.md) sets that size; it was made settable (lpac pull request 160) for
removable eUICCs in phones, where long blocks at a fast baud rate met '6601' checksum
errors. No public source names a chip model with a smaller limit, so no built-in
personality sets one. ``max_response`` is the response data a chip sends in one R-APDU
(ETSI TS 102 221 7.3.1.1.4 and 10.2.1.1, ISO/IEC 7816-4 7.6.1: '61xx', then GET RESPONSE);
below 256 a long answer comes in chunks of that size whatever Le asks. 16 is a floor so
that no ES10 answer takes thousands of R-APDUs, not a chip's.

A personality file can be written from a card (``euicc-emu personality capture``,
:mod:`.capture` reads the card, :mod:`.capture_toml` writes the file): ``card: eid`` and
the factory profiles' ``isdp_aid``, ``icon_file`` and list form of ``notify``
(:mod:`euicc_applets.isd_r.presets`) are there for what a chip shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

from euicc.apdu import MAX_SHORT_LE
from euicc.card import DEFAULT_ATR
from euicc.channels import MAX_CHANNELS
from euicc.faults import ScenarioError, read_scenario
from euicc.pki import eid_is_valid
from euicc_applets.isd_r import ISD_R_AID
from euicc_applets.isd_r.preset_schema import fail, hex_bytes, number, text, unknown_keys
from euicc_applets.isd_r.presets import Preset, parse_preset
from euicc_applets.isd_r.sgp32_eim import SGP32_VERSIONS

from .ecasd import EcasdContents, check_declared, parse_ecasd

SECTIONS = ("personality", "card", "ecasd", "factory")
PERSONALITY_KEYS = ("name", "description", "source")
CARD_KEYS = ("atr", "isd_r_aid", "logical_channels", "eum", "eid", "lpa", "quirks",
             "max_store_data", "max_response", "sgp32")
MIN_STORE_DATA = 6  # lpac's smallest ES10X_MSS (src/main.c ES10X_MSS_MIN_VALUE)
MAX_STORE_DATA = 0xFFFF  # the longest extended Lc (ISO/IEC 7816-4 5.1)
MIN_RESPONSE = 16


class Quirk(StrEnum):
    """Behaviour switches a chip may have beyond its values, each one an LPA works around.

    ``standard_isd_r_also``: besides its vendor ``isd_r_aid`` the ISD-R answers at the
    SGP.22 AID as well, so an LPA that tries the standard AID first (lpac without
    LPAC_CUSTOM_ISD_R_AID) or a list in turn (OpenEUICC, EasyLPAC's AID presets, which try
    eSTK.me's vendor AID before the standard one) finds it either way.

    ``profiles_info_basic_tags``: GetProfilesInfo without a tagList (SGP.22 5.7.15) returns
    only iccid, isdpAid, profileState, profileNickname, serviceProviderName, profileName,
    iconType, icon and profileClass (tags 5A 4F 9F70 90 91 92 93 94 95), not the
    notificationConfigurationInfo, profileOwner or profilePolicyRules a profile's metadata
    holds. Source: pySim's test suite (osmocom/pysim tests/pySim-shell_test/euicc,
    get_profiles_info.ok) reads a sysmoEUICC1-C2T with `get_profiles_info` (BF2D00): its
    TS48V1-B-UNIQUE profile came from osmo-smdpp, whose StoreMetadata asks for enable,
    disable and delete notifications (osmo-smdpp.py add_notification), and the answer shows
    no notificationConfigurationInfo; the generic card returns every member it holds.

    ``profile_class_explicit``: ProfileInfo carries profileClass operational(2) as 95 01 02,
    although it is the member's DEFAULT, which DER leaves out (X.690 11.5) and the generic
    card does. Source: the same get_profiles_info.ok shows "profile_class": "operational"
    for TS48V1-B-UNIQUE, and pySim decodes the TLVs as sent (pySim/euicc.py ProfileInfo,
    no DEFAULT filled in), so the chip sent it."""

    STANDARD_ISD_R_ALSO = "standard_isd_r_also"
    PROFILES_INFO_BASIC_TAGS = "profiles_info_basic_tags"
    PROFILE_CLASS_EXPLICIT = "profile_class_explicit"
LPAS = ("lpac", "osmo-lpa", "euicc-lpa", "openeuicc")
NEEDS_T0 = ("lpac",)  # lpac's PC/SC driver asks pcscd for T=0 (SCARD_PROTOCOL_T0)
BUILTIN_PACKAGE = "builtin:test"
TEST_K = bytes(range(16))  # the built-in test UPP's keys: a test profile, no secret
TEST_OPC = bytes(range(16, 32))
DEFAULT = "generic"
META_PERSONALITY = "personality"
META_SGP32 = "sgp32_version"  # store meta: the SGP.32 version of an IoT card; none: SGP.22


@dataclass(frozen=True)
class Personality:
    name: str
    description: str = ""
    source: str = ""
    atr: bytes = DEFAULT_ATR
    isd_r_aid: bytes = ISD_R_AID
    logical_channels: int = MAX_CHANNELS
    eum: str | None = None
    eid: str | None = None  # the EID of a new state without --eid (None: a random one)
    lpa: str | None = None
    quirks: frozenset[Quirk] = frozenset()
    max_store_data: int | None = None  # None: any STORE DATA block an APDU carries
    max_response: int = MAX_SHORT_LE
    ecasd: EcasdContents | None = None  # None: every CI of the PKI the card runs with
    sgp32: str | None = None  # the SGP.32 version of an IoT eUICC; None: SGP.22's card
    factory: Preset = field(default_factory=Preset)
    warnings: tuple[str, ...] = ()
    path: Path | None = None


def atr_protocols(atr: bytes) -> set[int]:
    """The protocols T an ATR offers (ISO/IEC 7816-3 8.2.3: TDi low nibbles; none: T=0)."""
    if len(atr) < 2:
        return set()
    protocols, index, y = set(), 1, atr[1] >> 4
    while True:
        index += bin(y & 0x7).count("1")  # TAi, TBi, TCi
        if not y & 0x8:
            break
        index += 1
        if index >= len(atr):
            break
        protocols.add(atr[index] & 0x0F)
        y = atr[index] >> 4
    return protocols or {0}


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".toml"))


def _path(name_or_file: str) -> Path:
    if name_or_file in builtin_names():
        return Path(str(resources.files(__name__) / f"{name_or_file}.toml"))
    path = Path(name_or_file).expanduser()
    if not path.suffix == ".toml" and not path.exists():
        raise ScenarioError(f"{name_or_file!r}: no such personality (built in: "
                            f"{', '.join(builtin_names())}; or a .toml file)")
    return path


def _test_package(iccid: str) -> bytes:
    """``builtin:test``: the test UPP for one profile's ICCID (each profile its own, so a
    personality may have several)."""
    from euicc_tools.testkit.profile_builder import build_upp  # only when one is named

    return build_upp(iccid, "001010123456789", k=TEST_K, opc=TEST_OPC)


def _card(table: dict) -> dict:
    unknown_keys("card", table, CARD_KEYS)
    values: dict = {}
    if "atr" in table:
        values["atr"] = hex_bytes("card: atr", table["atr"], 2, 33)
    if "isd_r_aid" in table:
        values["isd_r_aid"] = hex_bytes("card: isd_r_aid", table["isd_r_aid"], 5, 16)
    if "logical_channels" in table:
        values["logical_channels"] = number("card: logical_channels",
                                            table["logical_channels"], 1, 20)
    if "eum" in table:
        eum = text("card: eum", table["eum"], 31)
        if not re.fullmatch(r"\d{1,31}", eum):
            fail("card: eum", f"{eum!r}: the EID digits the EUM's range starts with")
        values["eum"] = eum
    if "eid" in table:
        values["eid"] = _eid(table["eid"], values.get("eum"))
    if "lpa" in table:
        lpa = table["lpa"]
        if lpa not in LPAS:
            fail("card: lpa", f"{lpa!r} (allowed: {', '.join(LPAS)})")
        values["lpa"] = lpa
    if "quirks" in table:
        quirks = table["quirks"]
        allowed = [q.value for q in Quirk]
        if not isinstance(quirks, list) or any(q not in allowed for q in quirks):
            fail("card: quirks", f"{quirks!r}: a list of {', '.join(allowed)}")
        values["quirks"] = frozenset(Quirk(q) for q in quirks)
        if Quirk.STANDARD_ISD_R_ALSO in values["quirks"] and values.get(
                "isd_r_aid", ISD_R_AID) == ISD_R_AID:
            fail("card: quirks", "standard_isd_r_also needs a vendor isd_r_aid")
    if "max_store_data" in table:
        values["max_store_data"] = number("card: max_store_data", table["max_store_data"],
                                          MIN_STORE_DATA, MAX_STORE_DATA)
    if "max_response" in table:
        values["max_response"] = number("card: max_response", table["max_response"],
                                        MIN_RESPONSE, MAX_SHORT_LE)
    if "sgp32" in table:
        if table["sgp32"] not in SGP32_VERSIONS:
            fail("card: sgp32", f"{table['sgp32']!r} (allowed: {', '.join(SGP32_VERSIONS)})")
        values["sgp32"] = table["sgp32"]
    return values


def _eid(value, eum: str | None) -> str:
    """``card: eid``: a valid EID (SGP.29: 32 digits, MOD 97-10 check digits), in the
    ``eum`` range when one is given."""
    eid = text("card: eid", value, 32)
    if not eid_is_valid(eid):
        fail("card: eid", f"{eid!r}: 32 digits with valid check digits (SGP.29)")
    if eum is not None and not eid.startswith(eum):
        fail("card: eid", f"{eid} is outside the EUM range {eum}... (card: eum)")
    return eid


def load_personality(name_or_file: str) -> Personality:
    """A built-in personality by name, or a personality file; ScenarioError if wrong."""
    path = _path(name_or_file)
    document = read_scenario(path, SECTIONS)
    if document.fault_tables:
        raise ScenarioError(f"{path}: a personality has no [[fault]] (give a --scenario)")
    section = "personality"
    try:
        head = document.sections.get("personality")
        if head is None or "name" not in head:
            fail("personality: name", "a personality needs [personality] name = \"...\"")
        unknown_keys("personality", head, PERSONALITY_KEYS)
        names = {k: text(f"personality: {k}", head.get(k, ""), 200) for k in PERSONALITY_KEYS}
        section = "card"
        card = _card(document.sections.get("card", {}))
        section = "ecasd"
        ecasd = None
        if "ecasd" in document.sections:
            ecasd = parse_ecasd(document.sections["ecasd"])
        section = "factory"
        factory_table = document.sections.get("factory", {})
        factory = parse_preset(factory_table, where="factory", base=path.parent,
                               packages={BUILTIN_PACKAGE: _test_package})
        if ecasd is not None:
            check_declared(ecasd, factory_table)
    except ScenarioError as exc:
        raise document.error(exc, section) from None
    warnings = []
    atr = card.get("atr", DEFAULT_ATR)
    if card.get("lpa") in NEEDS_T0 and 0 not in atr_protocols(atr):
        warnings.append(f"{path}: card: atr offers no T=0, which {card['lpa']} asks pcscd "
                        "for: it will not connect")
    return Personality(**names, **card, ecasd=ecasd, factory=factory,
                       warnings=tuple(warnings), path=path)


def check_eid(personality: Personality, eid: str) -> None:
    """The card's EID must be in the personality's EUM range (SGP.29: the EUM's digits)."""
    if personality.eum is not None and not eid.startswith(personality.eum):
        raise ScenarioError(f"personality {personality.name}: EID {eid} is outside its EUM "
                            f"range {personality.eum}... (give --eid, or a --pki of that EUM)")
