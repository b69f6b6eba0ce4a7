"""ES10c.eUICCMemoryReset of the IoT eUICC (SGP.32 v1.0 5.9.5): SGP.22's reset options
(5.7.19, run by :meth:`.profiles.ProfileManagement.memory_reset`) and two more:
resetEimConfigData(3) removes every associated eIM (resetEimResult ok(0), or
nothingToDelete(1) when none is), after which AddInitialEim may associate one again;
resetAutoEnableConfig(4) removes the automatic profile enabling configuration
(configureAutoEnable PSMO, ConfigureAutoProfileEnabling 5.9.17: :mod:`.sgp32_enabling`):
resetAutoEnableConfigResult ok(0), whether there was one or not (the type has no
nothingToDelete; resetAECNotSupported(1) is for a card without the configuration, which
this one is not).

resetResult is ok(0) when any option removed something (a configuration removed counts),
else nothingToDelete(1); the two IoT results are present only when their option is asked
for. Everything runs in the ES10 call's one store transaction.

SGP.32 v1.2 (5.9.5 as v1.1 restructured it) has the function at its own tag, 'BF64'
(SGP32v12-EuiccMemoryResetRequest; 'BF34' is then no function of the card, '6A80': the
reset moved, as the v1.1 notes say, this card's reading of what is left at 'BF34'),
with deletePreLoadedTestProfiles(3) (the test profiles that were not field-loaded) and
deleteProvisioningProfiles(4) added, resetEimConfigData at bit 5 and
resetImmediateEnableConfig at bit 6 (resetImmediateEnableConfigResult). While the Emergency
Profile is enabled (:mod:`.sgp32_emergency`) it is refused, resetResult ecallActive(104),
and nothing is removed (the emergency call keeps its profile). The v1.2 Fallback Attribute
and the profiles to return to go with the profiles a reset deletes (profile marks of the
store). The v1.2 layout is that of the public v1.2 ASN.1 (wireshark's SGP32Definitions) and
of the IPAs that emulate it (the Iapyx onomondo-ipa fork's "v1.1 migration notes",
ddimension ipad); the SGP.32 text itself could not be consulted.
"""

from __future__ import annotations

from dataclasses import dataclass

from euicc.store import CardStore

from .bits import bit_is_set
from .profiles import ProfileManagement
from .sgp32_emergency import ECALL_ACTIVE, EmergencyProfile
from .sgp32_enabling import ProfileEnabling


@dataclass(frozen=True)
class ResetOptions:
    """Where a version's resetOptions bits are and what its configuration result is named."""

    eim: int  # resetEimConfigData
    enabling: int  # resetAutoEnableConfig / resetImmediateEnableConfig
    enabling_result: str
    pre_loaded_test: int | None = None  # v1.2 deletePreLoadedTestProfiles
    provisioning: int | None = None  # v1.2 deleteProvisioningProfiles


V10_OPTIONS = ResetOptions(3, 4, "resetAutoEnableConfigResult")
V12_OPTIONS = ResetOptions(5, 6, "resetImmediateEnableConfigResult", 3, 4)
OK, NOTHING_TO_DELETE = 0, 1
SGP22_OPTIONS = 3  # deleteOperationalProfiles, deleteFieldLoadedTestProfiles, resetDefault..


def sgp22_options(options: tuple[bytes, int]) -> tuple[bytes, int]:
    """The resetOptions bits SGP.22 defines, the IoT bits cleared."""
    data, length = options
    kept = bytes([data[0] & 0xE0]) if data else b""
    return kept, min(length, SGP22_OPTIONS)


class IotMemoryReset:
    def __init__(self, store: CardStore, profiles: ProfileManagement,
                 enabling: ProfileEnabling, emergency: EmergencyProfile | None = None) -> None:
        self.store = store
        self.profiles = profiles
        self.enabling = enabling
        self.emergency = emergency  # v1.2

    # -- SGP.32 v1.2 5.9.5 ('BF64') ----------------------------------------------------------
    def memory_reset_v12(self, request: dict) -> dict:
        if self.emergency is not None and self.emergency.active():
            return {"resetResult": ECALL_ACTIVE}
        return self._reset(request["resetOptions"], V12_OPTIONS)

    # -- SGP.32 v1.0 5.9.5 ('BF34') ----------------------------------------------------------
    def memory_reset(self, request: dict) -> dict:
        return self._reset(request["resetOptions"], V10_OPTIONS)

    def _reset(self, options: tuple[bytes, int], bits: ResetOptions) -> dict:
        def asked(bit: int | None) -> bool:
            return bit is not None and bit_is_set(options, bit)

        extra = {"pre_loaded_test": asked(bits.pre_loaded_test),
                 "provisioning": asked(bits.provisioning)}
        done = False
        if any(bit_is_set(options, n) for n in range(SGP22_OPTIONS)) or any(extra.values()):
            answer = self.profiles.memory_reset({"resetOptions": sgp22_options(options)},
                                                **extra)
            done = answer["resetResult"] == OK
        response: dict = {}
        if asked(bits.eim):
            removed = self.store.delete_eims() > 0
            response["resetEimResult"] = OK if removed else NOTHING_TO_DELETE
            done |= removed
        if asked(bits.enabling):
            done |= self.enabling.reset()
            response[bits.enabling_result] = OK
        return {"resetResult": OK if done else NOTHING_TO_DELETE, **response}
