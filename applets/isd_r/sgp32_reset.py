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

SGP.32 v1.2: while the Emergency Profile is enabled (:mod:`.sgp32_emergency`) the reset is
refused, resetResult ecallActive(104), and nothing is removed (the emergency call keeps its
profile; v1.2 adds the code to resetResult). The v1.2 Fallback Attribute and the profiles
to return to go with the profiles a reset deletes (profile marks of the store).
"""

from __future__ import annotations

from euicc.store import CardStore

from .bits import bit_is_set
from .profiles import ProfileManagement
from .sgp32_emergency import ECALL_ACTIVE, EmergencyProfile
from .sgp32_enabling import ProfileEnabling

RESET_EIM, RESET_AUTO_ENABLE = 3, 4  # resetOptions bits
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

    def memory_reset(self, request: dict) -> dict:
        if self.emergency is not None and self.emergency.active():
            return {"resetResult": ECALL_ACTIVE}
        options = request["resetOptions"]
        done = False
        if any(bit_is_set(options, n) for n in range(SGP22_OPTIONS)):
            answer = self.profiles.memory_reset({"resetOptions": sgp22_options(options)})
            done = answer["resetResult"] == OK
        response: dict = {}
        if bit_is_set(options, RESET_EIM):
            removed = self.store.delete_eims() > 0
            response["resetEimResult"] = OK if removed else NOTHING_TO_DELETE
            done |= removed
        if bit_is_set(options, RESET_AUTO_ENABLE):
            done |= self.enabling.reset()
            response["resetAutoEnableConfigResult"] = OK
        return {"resetResult": OK if done else NOTHING_TO_DELETE, **response}
