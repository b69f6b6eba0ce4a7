"""ES10b.LoadEuiccPackage (SGP.32 v1.0 5.9.1): an eUICC Package signed by an associated eIM
(2.11.1.1 EuiccPackageRequest), its Profile State Management Operations (2.11.1.1.3 PSMO)
executed, and the eUICC Package Result signed by the eUICC (2.11.2.1 EuiccPackageResult).

The checks, in order, each refusal changing nothing (the ES10 table runs the function in one
store transaction; a refusal writes nothing at all):

1. eimId names no associated eIM: ``euiccPackageErrorUnsigned`` (the card has no key to
   trust the package with, so nothing it answers is signed).
2. eimSignature does not verify with that eIM's public key (or certificate) from its eIM
   Configuration Data: ``euiccPackageErrorUnsigned`` with the eIM's associationToken, if
   it has one. The signature is ECDSA with SHA-256 in SGP.22's raw r||s form (SGP.22 2.6.5,
   BSI TR-03111) over euiccPackageSigned as received followed by the eIM's associationToken
   data object ('84', as in EimConfigurationData) when one is configured (SGP.32 2.11.1.1);
   onomondo-eim signs the same bytes (crypto_utils.erl sign_euiccPackageSigned).
3. eidValue is not this card's EID: ``euiccPackageErrorSigned`` invalidEid(3).
4. counterValue above :data:`~.sgp32_eim.MAX_COUNTER_VALUE`: counterValueOutOfRange(6); not
   above the last one accepted from this eIM: replayError(4).

Then the package runs: the eIM's counterValue becomes the package's (persisted with the
operations' effects, in the same commit), each PSMO or eCO (:mod:`.sgp32_eco`) in turn gives
its EuiccResultData, and the result takes the next sequence number of the card's
notification counter (an IPA removes results and notifications with the same
RemoveNotificationFromList, SGP.32 5.9.12). The result is signed with the eUICC key of the
eIM's euiccCiPKId: euiccSignEPR (and euiccSignEPE for a signed error) over the result data
followed by the package's eimSignature data object ('5F37'), SGP.32 2.11.2.1 ("euiccSignEPR
SHALL apply on the concatenated data objects euiccPackageResultDataSigned and eimSignature",
as onomondo-eim's crypto_utils.erl quotes it; that eIM itself verifies over the result data
and the associationToken object instead, against the sentence it quotes: this card follows
the sentence). A signed result is kept in the store until the IPA removes it. A signed error
(invalidEid, replayError, counterValueOutOfRange) is answered, not kept: the package is
refused, and a refused request changes nothing; the IPA has it in the answer to pass on
(this card's reading: the SGP.32 text that would say whether the eUICC keeps it for
RetrieveNotificationsList could not be consulted).

Each operation runs in a savepoint of that transaction: one that fails inside (an unexpected
error) leaves none of its own writes, answers processingTerminated undefinedError(127) at
its place, and what follows it is not executed (processingTerminated ends the package: its
codes resultSizeOverflow, unknownOrDamagedCommand, interruption say why processing stopped);
those before it stay done and are reported. An operation that is refused answers its own
code (iccidOrAidNotFound(1) for an unknown ICCID, ...) and the package goes on with the
next: each result stands for one operation. The SGP.22 codes the SGP.32 result types do not
list (disallowedByPolicy(3) of EnableProfile / DisableProfile / DeleteProfile, SGP.22
5.7.16-18) are undefinedError(127): SGP.32 2.11.2.1's EnableProfileResult,
DisableProfileResult and DeleteProfileResult name ok(0), iccidOrAidNotFound(1),
profileNotIn...State(2) and undefinedError(127) only.

configureAutoEnable is :mod:`.sgp32_enabling`'s; an enable with rollbackFlag that enables a
profile in place of another arms the rollback (:mod:`.sgp32_rollback`), and every executed
package ends the rollback an earlier one armed.

SGP.32 v1.2 (the card's ``[card] sgp32 = "1.2"``): the PSMOs setFallbackAttribute and
unsetFallbackAttribute (3.4.6 / 3.4.7, :mod:`.sgp32_fallback`) and setDefaultDpAddress
(the default SM-DP+ address, as ES10a.SetDefaultDpAddress sets it, SGP.22 5.7.4:
setDefaultDpAddressResult ok(0)); the result codes v1.2 adds to enable / disable / delete
(disallowedByPolicy(3) kept, not undefinedError); a delete of the profile a fallback will
return to is returnFallbackProfile(21), of the profile this package's rollback would go
back to rollbackNotAvailable(20); an enable during fallback ends it (3.4.1). A package
that arrives while the Emergency Profile is enabled is refused, after the checks above,
with the signed error ecallActive(104) (:mod:`.sgp32_emergency`). A v1.0 card does not know
the v1.2 PSMOs: a package with one is not its EuiccPackageRequest, '6A80' (as any
alternative the card does not know, :mod:`.es10`).
"""

from __future__ import annotations

import logging

from euicc.asn1 import encode, sgp32
from euicc.crypto.ecdsa import verify_raw
from euicc.crypto.entropy import CardEntropy
from euicc.store import CardStore
from euicc.sw import SW, SwError
from euicc.tlv import children, tlv

from .euicc_info import EuiccInfo
from .notifications import SEQ_COUNTER
from .profiles import ProfileManagement
from .sgp32_eco import EimConfigurationOperations
from .sgp32_eim import MAX_COUNTER_VALUE, EimConfiguration, eim_public_key
from .sgp32_emergency import ECALL_ACTIVE, EmergencyProfile
from .sgp32_enabling import ProfileEnabling
from .sgp32_fallback import FallbackMechanism
from .sgp32_rollback import ProfileRollback, sign_result

# EuiccPackageErrorCode (SGP.32 2.11.2.1)
INVALID_EID, REPLAY_ERROR, COUNTER_OUT_OF_RANGE = 3, 4, 6
UNDEFINED = 127  # processingTerminated undefinedError, and the PSMO results' undefinedError
# the result codes SGP.32 2.11.2.1 lists for the enable, disable and delete PSMOs: v1.0's,
# and v1.2's with disallowedByPolicy(3), catBusy(5), rollbackNotAvailable(20),
# returnFallbackProfile(21)
PSMO_CODES = {"1.0": (0, 1, 2, UNDEFINED), "1.2": (0, 1, 2, 3, 5, 20, 21, UNDEFINED)}
ROLLBACK_NOT_AVAILABLE = 20
V12_PSMOS = ("setFallbackAttribute", "unsetFallbackAttribute", "setDefaultDpAddress")
log = logging.getLogger(__name__)
ASSOCIATION_TOKEN_TAG = 0x84  # EimConfigurationData associationToken [4]


def association_token_object(token: int) -> bytes:
    """The associationToken data object, '84' and the INTEGER's minimal two's complement."""
    length = max(1, (token.bit_length() + 8) // 8)
    return tlv(ASSOCIATION_TOKEN_TAG, token.to_bytes(length, "big", signed=True))


class EuiccPackages:
    def __init__(self, store: CardStore, eims: EimConfiguration, profiles: ProfileManagement,
                 info: EuiccInfo, entropy: CardEntropy, enabling: ProfileEnabling,
                 rollback: ProfileRollback, fallback: FallbackMechanism | None = None,
                 emergency: EmergencyProfile | None = None) -> None:
        """``fallback`` and ``emergency``: the v1.2 mechanisms (None: a v1.0 card)."""
        self.store = store
        self.eims = eims
        self.profiles = profiles
        self.info = info
        self.entropy = entropy  # signs the results with SK.EUICC.SIG
        self.ecos = EimConfigurationOperations(eims)
        self.enabling = enabling
        self.rollback = rollback
        self._grant: tuple[bytes, bytes] | None = None  # (previous, enabled) of this package
        self.fallback = fallback
        self.emergency = emergency
        self.codes = PSMO_CODES["1.0" if fallback is None else "1.2"]

    def load_euicc_package(self, request: dict, raw: bytes) -> dict | tuple:
        signed = request["euiccPackageSigned"]
        kind, operations = signed["euiccPackage"]
        if self.fallback is None and kind == "psmoList" and any(
                name in V12_PSMOS for name, _ in operations):
            raise SwError(SW.WRONG_DATA, "an SGP.32 v1.2 PSMO on a v1.0 eUICC")
        eim_id = signed["eimId"]
        found = self.eims.find(eim_id)
        if found is None:
            return ("euiccPackageErrorUnsigned", {"eimId": eim_id})
        record, config = found
        parts = dict(children(raw))  # euiccPackageSigned ('30') and eimSignature ('5F37')
        message = parts[0x30]
        token = config.get("associationToken")
        if token is not None:
            message += association_token_object(token)
        if not verify_raw(eim_public_key(config), message, request["eimSignature"]):
            unsigned = {"eimId": eim_id}
            if token is not None:
                unsigned["associationToken"] = token
            return ("euiccPackageErrorUnsigned", unsigned)
        signature_object = parts[0x5F37]
        counter = signed["counterValue"]
        code = None
        if signed["eidValue"] != bytes.fromhex(self.eims.credentials.eid):
            code = INVALID_EID
        elif not 0 <= counter <= MAX_COUNTER_VALUE:
            code = COUNTER_OUT_OF_RANGE
        elif counter <= record.counter:
            code = REPLAY_ERROR
        elif self.emergency is not None and self.emergency.active():
            code = ECALL_ACTIVE
        if code is not None:
            return self._signed_error(config, signed, code, signature_object)
        self.store.set_eim_counter(eim_id, counter)
        self.rollback.disarm()  # a new package supersedes the rollback of the last one
        self._grant = None
        handlers = (self._psmo if kind == "psmoList"
                    else lambda name, value: self.ecos.run([(name, value)])[0])
        results = self._run(operations, handlers)
        seq = self.store.next_counter(SEQ_COUNTER)
        data = {"eimId": eim_id, "counterValue": counter, "seqNumber": seq,
                "euiccResult": results}
        if "transactionId" in signed:
            data["transactionId"] = signed["transactionId"]
        spec = sgp32()
        result = sign_result(spec, self.eims, self.entropy, data, signature_object)
        self.store.add_package_result(seq, eim_id, encode(spec, "EuiccPackageResult", result))
        if self._grant is not None:
            self.rollback.arm(*self._grant, seq, signature_object)
        return result

    def injected_error(self, code: int, request: dict) -> tuple:
        """The fault plan's ``error`` action (:mod:`.error_results`): the package refused
        with the EuiccPackageErrorCode ``code``, signed as a real refusal is (euiccSignEPE
        over the error data and the package's eimSignature data object, 2.11.2.1) when the
        eimId names an associated eIM, else euiccPackageErrorUnsigned (no key to sign
        for). Nothing is kept or changed: the counterValue is not taken."""
        signed = request["euiccPackageSigned"]
        found = self.eims.find(signed["eimId"])
        if found is None:
            return ("euiccPackageErrorUnsigned", {"eimId": signed["eimId"]})
        return self._signed_error(found[1], signed, code, tlv(0x5F37, request["eimSignature"]))

    def _signed_error(self, config: dict, signed: dict, code: int,
                      signature_object: bytes) -> tuple:
        data = {"eimId": signed["eimId"], "counterValue": signed["counterValue"],
                "euiccPackageErrorCode": code}
        if "transactionId" in signed:
            data["transactionId"] = signed["transactionId"]
        tbs = encode(sgp32(), "EuiccPackageErrorDataSigned", data) + signature_object
        return ("euiccPackageErrorSigned", {
            "euiccPackageErrorDataSigned": data,
            "euiccSignEPE": self.entropy.sign(self.eims.identity_for(config).private_key, tbs),
        })

    # -- SGP.32 2.11.1.1.3 PSMOs, executed with the ES10c handlers' rules -----------------------
    def _run(self, operations: list, handler) -> list:
        """Each operation in its savepoint; one that fails inside is processingTerminated
        undefinedError with none of its writes, and ends the package."""
        results = []
        for name, value in operations:
            try:
                with self.store.savepoint():
                    result = handler(name, value)
            except Exception:
                log.exception("LoadEuiccPackage: %s failed", name)
                result = ("processingTerminated", UNDEFINED)
            results.append(result)
            if result[0] == "processingTerminated":
                break  # what follows is not executed
        return results

    def _psmo(self, name: str, value: dict) -> tuple:
        profiles = self.profiles
        if name == "enable":
            before = self.store.enabled_profile()
            # a PSMO has no refreshFlag: a profile change always asks for the UICC reset
            code = profiles.enable_profile({"profileIdentifier": ("iccid", value["iccid"]),
                                            "refreshFlag": True})["enableResult"]
            if code == 0 and "rollbackFlag" in value and before is not None:
                self._grant = (before.isdp_aid, self.store.enabled_profile().isdp_aid)
            if code == 0 and self.fallback is not None:
                self.fallback.eim_enabled()
            return ("enableResult", self._code(code))
        if name == "disable":
            answer = profiles.disable_profile({"profileIdentifier": ("iccid", value["iccid"]),
                                               "refreshFlag": True})
            return ("disableResult", self._code(answer["disableResult"]))
        if name == "delete":
            return ("deleteResult", self._delete(value["iccid"]))
        if name == "listProfileInfo":
            return ("listProfileInfoResult", profiles.get_profiles_info(value))
        if name == "getRAT":
            return ("getRATResult", self.info.get_rat({})["rat"])
        if name == "setFallbackAttribute":
            return self.fallback.set_fallback_attribute(value)
        if name == "unsetFallbackAttribute":
            return self.fallback.unset_fallback_attribute(value)
        if name == "setDefaultDpAddress":
            return ("setDefaultDpAddressResult", self.info.set_default_dp_address(value))
        return self.enabling.configure_auto_enable_psmo(value)  # configureAutoEnable

    def _delete(self, iccid: bytes) -> int:
        if self.fallback is not None:
            target = self.store.profile_by_iccid(iccid)
            refusal = self.fallback.delete_refusal(target)
            if refusal is not None:
                return refusal
            if (target is not None and self._grant is not None
                    and self._grant[0] == target.isdp_aid):
                return ROLLBACK_NOT_AVAILABLE
        return self._code(self.profiles.delete_profile(("iccid", iccid))["deleteResult"])

    def _code(self, code: int) -> int:
        """An SGP.22 enable / disable / delete result as the card's SGP.32 result types
        have it."""
        return code if code in self.codes else UNDEFINED
