"""Card assembly: a powered-off eUICC from its state directory (SGP.22 2.2.3: ISD-R and
ECASD installed, the enabled profile's file system visible to the terminal).

Every collaborator arrives through a constructor. The proactive session (ETSI TS 102 223
6.4.7 REFRESH) is made first and handed both to the card, which announces and hands out
its commands, and to the UICC file system, which asks for a UICC reset after a profile
change with refreshFlag set (SGP.22 3.2.1, 3.2.2); the UICC file system's
``enabled_profile_changed`` is handed to the ISD-R as the listener of its profile
management (SGP.22 5.7.16-5.7.19)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from euicc.card import Card
from euicc.crypto.entropy import CardEntropy, SystemEntropy
from euicc.faults import Catalog, FaultPlan, Layer, ScenarioError, Target
from euicc.identity import META_EID, bind_card_credentials
from euicc.migrations import migrate
from euicc.pki import CardCredentials
from euicc.proactive import ProactiveSession
from euicc.registry import Registry
from euicc.store import CardStore
from euicc_applets.ecasd import Ecasd
from euicc_applets.isd_r import ISD_R_AID, EuiccConfig, IsdR
from euicc_applets.isd_r.presets import Preset, apply_preset
from euicc_applets.isd_r.profiles import BASIC_PROFILE_INFO_TAGS
from euicc_applets.isd_r.sgp32 import Sgp32Settings
from euicc_applets.uicc import UiccFileSystem
from euicc_tools.personalities import (
    DEFAULT,
    META_PERSONALITY,
    META_SGP32,
    Personality,
    Quirk,
    check_eid,
    load_personality,
)
from euicc_tools.personalities.ecasd import held_credentials


def build_card(
    store: CardStore, credentials: CardCredentials, config: EuiccConfig | None = None,
    faults: FaultPlan | None = None,
    entropy: CardEntropy | None = None, personality: Personality | None = None,
) -> Card:
    """A powered-off eUICC with its ISD-R and ECASD installed, showing the enabled
    profile's file system (SGP.22 2.2.3). A store written by an earlier version is migrated
    first (:mod:`euicc.migrations`), before any applet reads a profile from it. ``faults``:
    the fault plan the card OS and the ISD-R consult (an empty one if not given).

    ``entropy`` is where the card's challenges, one-time keys and signatures come from
    (:mod:`euicc.crypto.entropy`): the operating system's by default, a
    :class:`~euicc.crypto.entropy.SeededEntropy` for a reproducible card. ``personality``:
    the chip it looks like (:mod:`euicc_tools.personalities`: ATR, ISD-R AID, channels,
    quirks, STORE DATA and response sizes), the emulator's own if not given."""
    migrate(store)
    faults = faults if faults is not None else FaultPlan()
    entropy = entropy if entropy is not None else SystemEntropy()
    proactive = ProactiveSession()
    uicc = UiccFileSystem(store, entropy, request_refresh=proactive.request_refresh)
    registry = Registry()
    persona = personality or Personality(DEFAULT)
    config = config or EuiccConfig()
    if Quirk.PROFILES_INFO_BASIC_TAGS in persona.quirks:
        config = replace(config, profiles_info_default_tags=BASIC_PROFILE_INFO_TAGS)
    if Quirk.PROFILE_CLASS_EXPLICIT in persona.quirks:
        config = replace(config, profile_class_explicit=True)
    if persona.max_store_data is not None:
        config = replace(config, max_store_data=persona.max_store_data)
    isd_r = IsdR(store, credentials, config, entropy,
                 on_enabled_profile_changed=uicc.enabled_profile_changed, faults=faults,
                 sgp32=None if persona.sgp32 is None else Sgp32Settings(persona.sgp32))
    isd_r.aid = persona.isd_r_aid  # a chip whose ISD-R answers at another AID
    registry.install(isd_r)
    if Quirk.STANDARD_ISD_R_ALSO in persona.quirks:
        registry.alias(ISD_R_AID, isd_r)
    registry.install(Ecasd(credentials))
    return Card(registry, atr=persona.atr, max_channels=persona.logical_channels,
                file_system=uicc, proactive=proactive, faults=faults,
                max_response=persona.max_response)


def fault_catalog(card: Card) -> Catalog:
    """Everything the card's fault plan may name: its ISO commands (card OS and applets)
    and the ISD-R's ES10 functions and BPP parts, with their error results."""
    catalog = Catalog()
    for name in card.command_names():
        catalog.add(Target(name, Layer.APDU))
    for applet in card.registry:
        for target in getattr(applet, "fault_targets", list)():
            catalog.add(target)
    return catalog


def open_card(state: Path, pki: Path | None, eid: str | None, rekey: bool = False,
              preset: Preset | None = None, personality: Personality | None = None):
    """Load (or create on first start) the card kept in ``state``: (card, credentials,
    store). The state stays bound to the PKI it was made with (euicc.identity). A
    ``preset`` (a scenario's [preset]) is written into a fresh state before the card is
    built; the configuration it sets (memory, addresses, versions, capabilities, RAT) is
    kept in the state, and the ISD-R reads it from there at every start.

    The state stays bound to the ``personality`` it was made with (``generic`` if none):
    a start with another is refused (a chip does not change model); its factory state is
    written into a fresh state as ``preset`` is, and the two do not combine. Its
    ``[ecasd]`` cuts the credentials to the CIs the chip's ECASD holds
    (:mod:`euicc_tools.personalities.ecasd`)."""
    store = CardStore(state)
    config = EuiccConfig()
    try:
        personality = personality or load_personality(DEFAULT)
        if eid is None and store.get_meta(META_EID) is None:
            eid = personality.eid  # a new state: the chip's own EID, if it names one
        credentials = bind_card_credentials(state, store, pki, eid, rekey)
        credentials = held_credentials(personality.ecasd, credentials, personality.name)
        entropy = SystemEntropy()
        _bind_personality(store, personality.name)
        # what the shell reads to tell an IoT eUICC and its version (SGP.32) from the state
        store.set_meta(META_SGP32, personality.sgp32)
        check_eid(personality, credentials.eid)
        factory = personality.factory
        if factory.profiles or factory.notifications or factory.config_tables:
            if preset is not None:
                raise ScenarioError(f"personality {personality.name} has a factory state; "
                                    "a scenario's [preset] cannot be written beside it")
            preset = factory
        if preset is not None:
            apply_preset(preset, store, credentials, entropy)
    except BaseException:
        store.close()
        raise
    return (build_card(store, credentials, config, entropy=entropy, personality=personality),
            credentials, store)


def _bind_personality(store: CardStore, name: str) -> None:
    recorded = store.get_meta(META_PERSONALITY)
    if recorded is None:
        store.set_meta(META_PERSONALITY, name)
    elif recorded != name:
        raise ScenarioError(f"this state was made with personality {recorded}, not {name}: "
                            "start with a new --state (or --personality " + recorded + ")")
