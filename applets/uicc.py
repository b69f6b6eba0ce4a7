"""The UICC side of the eUICC: the enabled profile's file system and NAAs, as a terminal
sees them (SGP.22 2.2.3 and 3.2.1: only the Enabled Profile is visible; ETSI TS 102 221
8-11 for the file system and its commands; 3GPP TS 31.102 / 31.103 7.1 AUTHENTICATE of the
USIM and ISIM; TS 31.102 7.5 GET IDENTITY, the SUCI calculated by the USIM).

:class:`UiccFileSystem` is the card OS's file system. It loads the enabled profile's ISD-P
content from the store (files, PINs, PUKs, AKA parameters and SQN arrays) and runs the file
commands on it through :class:`~euicc.fs.commands.FileCommands`; AUTHENTICATE goes to the
NAA of the current ADF. Every change (an UPDATE, a PIN counter, an accepted SQN) is written
to the store before the response leaves, in one transaction. With no profile enabled, the
MF is there and empty, as on a real eUICC.

When the enabled profile changes, the new one is visible from the next command on: every
channel's file selection goes back to the MF and PIN verifications are forgotten. With
refreshFlag set, a terminal that supports it is also sent REFRESH (UICC reset).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.card import FileSystem
from euicc.channels import Channel
from euicc.coding import bcd_text
from euicc.crypto.entropy import CardEntropy
from euicc.dispatch import NO_DATA, WITH_DATA, ClassFamily, CommandSpec
from euicc.fs.commands import FileCommands
from euicc.fs.model import File, Pin
from euicc.fs.selection import STATE_KEY
from euicc.ins import Ins
from euicc.store import CardStore, ProfileRecord
from euicc.store_image import (
    SECRET_PIN,
    SECRET_PUK,
    SECRET_SQN,
    AkaAlgorithmId,
    AkaConfig,
    ProfileImage,
    body_owner,
    empty_tree,
    file_row,
    image_from_rows,
    pin_to_bytes,
)
from euicc.sw import SW, SwError

from .naa import suci
from .naa.authenticate import (
    AkaAlgorithm,
    AuthSuccess,
    MilenageAka,
    SecurityContext,
    authenticate_3g,
    authenticate_gsm,
    encode_response,
    parse_command_data,
)
from .naa.milenage import Milenage
from .naa.sqn import SqnState
from .naa.tuak import Tuak
from .naa.xor_test_algorithm import XorTestAlgorithm

log = logging.getLogger(__name__)

USIM_RID_PIX = bytes.fromhex("A0000000871002")
ISIM_RID_PIX = bytes.fromhex("A0000000871004")
EF_UST, EF_IMSI, EF_AD = 0x6F38, 0x6F07, 0x6FAD
DF_5GS, EF_SUCI_CALC_INFO, EF_ROUTING_INDICATOR = 0x5FC0, 0x4F07, 0x4F0A
DF_SAIP, EF_SUCI_CALC_INFO_USIM = 0x5FD0, 0x4F01
SERVICE_GSM_ACCESS = 27  # TS 31.102 4.2.8 service n27: Kc in AUTHENTICATE, GSM context
# TS 31.102 4.2.8 n124 "SUCI calculation by the USIM" needs n125 "5GS subscription
# identifier privacy" too
SERVICE_SUCI_PRIVACY, SERVICE_SUCI_BY_USIM = 124, 125
GENERATION_KEY = "fs.generation"
# SAIP sqnOptions bits as this card reads them ('02' is TS.48's "wrap-around protection")
SQN_OPTION_DELTA, SQN_OPTION_AGE_LIMIT = 0x02, 0x04


def algorithm_for(aka: AkaConfig) -> AkaAlgorithm:
    """The AKA algorithm a profile's akaParameter names (SAIP algorithmID)."""
    if aka.algorithm is AkaAlgorithmId.MILENAGE:
        r = tuple(aka.rotation)  # SAIP rotationConstants: r1..r5 in bits
        c = tuple(aka.constants[i:i + 16] for i in range(0, 80, 16))
        return MilenageAka(Milenage(aka.key, opc=aka.opc, r=r, c=c))
    if aka.algorithm is AkaAlgorithmId.TUAK:
        return Tuak(aka.key, topc=aka.opc, keccak_iterations=aka.keccak_iterations)
    return XorTestAlgorithm(aka.key)


def initial_sqn_state(aka: AkaConfig) -> SqnState:
    seq = [int.from_bytes(s, "big") for s in aka.sqn_init] or [0] * 32
    ind_length = max(len(seq).bit_length() - 1, 0)
    return SqnState(seq_ms=tuple(seq), ind_length=ind_length,
                    delta=int.from_bytes(aka.sqn_delta, "big"),
                    age_limit=int.from_bytes(aka.sqn_age_limit, "big"),
                    check_delta=bool(aka.sqn_options & SQN_OPTION_DELTA),
                    check_age_limit=bool(aka.sqn_options & SQN_OPTION_AGE_LIMIT))


@dataclass
class ActiveProfile:
    """The enabled profile as the UICC side runs it."""

    record: ProfileRecord
    image: ProfileImage
    sqn: dict[int, SqnState]  # by index of its AkaConfig


class UiccFileSystem(FileSystem):
    aid = b""
    name = "UICC"

    def __init__(self, store: CardStore, entropy: CardEntropy,
                 request_refresh: Callable[[], None] = lambda: None) -> None:
        """``entropy`` (the card's, :mod:`euicc.crypto.entropy`) feeds GET CHALLENGE and
        the ephemeral keys of the SUCI. ``request_refresh``: ask the terminal for a UICC
        reset (ETSI TS 102 223 6.4.7 REFRESH), the card's proactive session; without one, a
        refreshFlag is not honoured and the terminal resets the card itself (SGP.22 3.2.1)."""
        self.store = store
        self.entropy = entropy
        self.request_refresh = request_refresh
        # The NAAs' commands, dispatched by the file system's table with its own
        self._naa_commands = (
            CommandSpec(Ins.AUTHENTICATE, ClassFamily.INTERINDUSTRY, self._authenticate,
                        WITH_DATA),  # TS 31.102 7.1: case 4
            CommandSpec(Ins.GET_IDENTITY, ClassFamily.PROPRIETARY, self._get_identity,
                        NO_DATA),  # TS 31.102 7.5: CLA '8X', case 2
        )
        self.generation = 0
        self.active: ActiveProfile | None = None
        self.engine = FileCommands(empty_tree(), [], random_bytes=entropy.random_bytes)
        self.load()

    # -- which profile ----------------------------------------------------------------------
    def load(self) -> None:
        """Make the store's enabled profile (or none) the visible one."""
        record = self.store.enabled_profile()
        self.active = None
        tree, pins, puks = empty_tree(), [], {}
        if record is not None:
            image, secrets = self._content(record)
            sqn = {ref: SqnState.from_bytes(v) for kind, ref, v in secrets
                   if kind == SECRET_SQN}
            for n, aka in enumerate(image.aka):
                sqn.setdefault(n, initial_sqn_state(aka))
            self.active = ActiveProfile(record, image, sqn)
            tree, pins, puks = image.tree, image.pins, image.puks
        tree.on_change = self._file_changed
        self.engine = FileCommands(tree, pins, puks, on_pin_change=self._pin_changed,
                                   random_bytes=self.entropy.random_bytes,
                                   application_commands=self._naa_commands)
        self.generation += 1

    def _content(self, record: ProfileRecord) -> tuple[ProfileImage, list]:
        """The ISD-P's interpreted content as stored (a profile installed before the card
        interpreted elements was given its rows by :mod:`euicc.migrations` at start)."""
        secrets = self.store.profile_secrets(record.isdp_aid)
        return image_from_rows(self.store.profile_files(record.isdp_aid), secrets), secrets

    def command_names(self) -> list[str]:
        return self.engine.table.names()

    def enabled_profile_changed(self, profile: ProfileRecord | None, refresh: bool) -> None:
        self.load()
        log.info("UICC now shows %s", "profile " + profile.iccid_digits
                 if profile is not None else "no profile")
        if refresh:
            self.request_refresh()

    # -- persistence ------------------------------------------------------------------------
    def _file_changed(self, f: File) -> None:
        if self.active is None:
            return
        tree = self.engine.tree
        owner = body_owner(tree, f)
        for changed in {id(owner): owner, id(f): f}.values():
            path, attributes, body = file_row(tree, changed)
            self.store.update_file(self.active.record.isdp_aid, path, attributes, body)

    def _pin_changed(self, pin: Pin) -> None:
        if self.active is None:
            return
        image = self.active.image
        if pin.puk:
            kind, ref = SECRET_PUK, pin.key_ref
        else:
            kind, ref = SECRET_PIN, next(n for n, p in enumerate(image.pins) if p is pin)
        self.store.set_secret(self.active.record.isdp_aid, kind, ref, pin_to_bytes(pin))

    # -- the applet contract ----------------------------------------------------------------
    def _fresh(self, channel: Channel) -> None:
        """Selections made on another profile's files do not survive a switch."""
        if channel.applet_state.get(GENERATION_KEY) != self.generation:
            channel.applet_state.pop(STATE_KEY, None)
            channel.applet_state[GENERATION_KEY] = self.generation

    def select(self, channel: Channel) -> bytes:
        channel.applet_state.pop(STATE_KEY, None)
        channel.applet_state[GENERATION_KEY] = self.generation
        return self.fci()

    def fci(self) -> bytes:
        return self.engine.fcp(self.engine.tree.mf)

    def reset(self) -> None:
        self.engine.reset()

    def select_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        self._fresh(channel)
        return self.engine.select_file(apdu, channel)

    def status(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        self._fresh(channel)
        return self.engine.status(apdu, channel)

    def command_name(self, apdu: CommandApdu, channel: Channel) -> str | None:
        return self.engine.command_name(apdu)

    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        self._fresh(channel)
        return self.engine.process(apdu, channel)

    # -- TS 31.102 / 31.103 7.1 AUTHENTICATE -------------------------------------------------
    def _authenticate(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1 != 0x00:
            raise SwError(SW.INCORRECT_P1P2)
        adf = self.engine.current_adf(channel)
        found = self._aka_of(adf)
        if found is None:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no NAA with AKA parameters selected")
        index, aka = found
        self._require_application_pin(adf)
        usim = adf.aid.startswith(USIM_RID_PIX)
        gsm_access = usim and self._service(adf, SERVICE_GSM_ACCESS)
        contexts = frozenset({SecurityContext.UMTS} | (
            {SecurityContext.GSM} if gsm_access else set()))
        command = parse_command_data(apdu.p2, apdu.data, contexts)
        algorithm = algorithm_for(aka)
        if command.context is SecurityContext.GSM:
            return ResponseApdu(encode_response(authenticate_gsm(algorithm, command.rand)))
        result = authenticate_3g(algorithm, self.active.sqn[index], command.rand, command.autn)
        if isinstance(result, AuthSuccess):
            self.active.sqn[index] = result.sqn_state
            self.store.set_secret(self.active.record.isdp_aid, SECRET_SQN, index,
                                  result.sqn_state.to_bytes())
        return ResponseApdu(encode_response(result, include_kc=gsm_access))

    # -- TS 31.102 7.5 GET IDENTITY (SUCI calculated by the USIM) ----------------------------
    def _get_identity(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        try:
            context = suci.parse_get_identity_p2(apdu.p2)
        except ValueError:
            raise SwError(SW.INCORRECT_P1P2, "unknown identity context") from None
        if apdu.p1 != 0x00 or context is not suci.IdentityContext.SUCI:
            raise SwError(SW.INCORRECT_P1P2, "only the SUCI context")
        adf = self.engine.current_adf(channel)
        if adf is None or adf.aid is None or not adf.aid.startswith(USIM_RID_PIX) or not (
                self._service(adf, SERVICE_SUCI_PRIVACY)
                and self._service(adf, SERVICE_SUCI_BY_USIM)):
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no SUCI calculation on this USIM")
        self._require_application_pin(adf)
        try:
            value = suci.calculate_suci(*self._suci_inputs(adf), entropy=self.entropy)
        except ValueError as exc:
            log.info("GET IDENTITY: %s", exc)
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "SUCI parameters unusable") from None
        return ResponseApdu(suci.get_identity_response(value))

    @staticmethod
    def _suci_inputs(adf: File) -> tuple:
        """IMSI, MNC length, routing indicator and SUCI calculation information of ``adf``
        (EF.IMSI, EF.AD, DF.5GS/EF.Routing_Indicator, DF.SAIP/EF.SUCI_Calc_Info_USIM or
        else DF.5GS/EF.SUCI_Calc_Info)."""
        def body(*fids: int) -> bytes | None:
            node: File | None = adf
            for fid in fids:
                node = node.child(fid) if node is not None else None
            return bytes(node.body) if node is not None else None

        imsi_file, ad = body(EF_IMSI), body(EF_AD)
        if not imsi_file or not ad or len(ad) < 4:
            raise ValueError("no EF.IMSI or EF.AD")
        # the card reads EF.IMSI as it is (TS 31.102 4.2.2); the first nibble is the odd/even
        # indicator and type of identity, not a digit
        imsi = bcd_text(imsi_file[1:1 + imsi_file[0]])[1:]
        routing = body(DF_5GS, EF_ROUTING_INDICATOR) or b"\xff\xff"
        info = body(DF_SAIP, EF_SUCI_CALC_INFO_USIM) or body(DF_5GS, EF_SUCI_CALC_INFO)
        if info is None:
            raise ValueError("no SUCI calculation information")
        return imsi, ad[3] & 0x0F, routing[:2], suci.parse_suci_calc_info(info)

    def _require_application_pin(self, adf: File) -> None:
        """AUTHENTICATE and GET IDENTITY need the application's PIN (TS 31.102 7.1.2, 7.5)
        as the file system judges it: verified, or disabled and not replaced by a universal
        PIN that is not verified."""
        if not self.engine.application_pin_verified(adf):
            raise SwError(SW.SECURITY_STATUS_NOT_SATISFIED, "application PIN not verified")

    def _aka_of(self, adf: File | None) -> tuple[int, AkaConfig] | None:
        if self.active is None or adf is None or adf.aid is None:
            return None
        for n, aka in enumerate(self.active.image.aka):
            if adf.aid in aka.adf_aids:
                return n, aka
        return None

    @staticmethod
    def _service(adf: File, number: int) -> bool:
        """Whether EF.UST of ``adf`` offers service ``number`` (TS 31.102 4.2.8)."""
        ust = adf.child(EF_UST)
        byte, bit = divmod(number - 1, 8)
        return ust is not None and len(ust.body) > byte and bool(ust.body[byte] >> bit & 1)
