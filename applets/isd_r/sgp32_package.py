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
operations' effects, in the same commit), each PSMO or eCO (:mod:`.sgp32_eco`) in turn
gives its EuiccResultData, and
the result takes the next sequence number of the card's notification counter (an IPA removes
results and notifications with the same RemoveNotificationFromList, SGP.32 5.9.12). The
result is signed with the eUICC key of the eIM's euiccCiPKId: euiccSignEPR (and euiccSignEPE
for a signed error) over the result data followed by the package's eimSignature data object
('5F37'), SGP.32 2.11.2.1 ("euiccSignEPR SHALL apply on the concatenated data objects
euiccPackageResultDataSigned and eimSignature"). A signed result is kept in the store until
the IPA removes it.

Not executed yet (answered so, never as done): the configureAutoEnable PSMO ends the
package with processingTerminated undefinedError(127) at its place; enable's rollbackFlag is
accepted but no rollback is armed (ProfileRollback, 5.9.16, is not there yet).
"""

from __future__ import annotations

from euicc.asn1 import encode, sgp32
from euicc.crypto.ecdsa import verify_raw
from euicc.crypto.entropy import CardEntropy
from euicc.store import CardStore
from euicc.tlv import children, tlv

from .euicc_info import EuiccInfo
from .notifications import SEQ_COUNTER
from .profiles import ProfileManagement
from .sgp32_eco import EimConfigurationOperations
from .sgp32_eim import MAX_COUNTER_VALUE, EimConfiguration, eim_public_key

# EuiccPackageErrorCode (SGP.32 2.11.2.1)
INVALID_EID, REPLAY_ERROR, COUNTER_OUT_OF_RANGE = 3, 4, 6
PROCESSING_UNDEFINED = 127  # processingTerminated undefinedError
ASSOCIATION_TOKEN_TAG = 0x84  # EimConfigurationData associationToken [4]


def association_token_object(token: int) -> bytes:
    """The associationToken data object, '84' and the INTEGER's minimal two's complement."""
    length = max(1, (token.bit_length() + 8) // 8)
    return tlv(ASSOCIATION_TOKEN_TAG, token.to_bytes(length, "big", signed=True))


class EuiccPackages:
    def __init__(self, store: CardStore, eims: EimConfiguration, profiles: ProfileManagement,
                 info: EuiccInfo, entropy: CardEntropy) -> None:
        self.store = store
        self.eims = eims
        self.profiles = profiles
        self.info = info
        self.entropy = entropy  # signs the results with SK.EUICC.SIG
        self.ecos = EimConfigurationOperations(eims)

    def load_euicc_package(self, request: dict, raw: bytes) -> dict | tuple:
        signed = request["euiccPackageSigned"]
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
        if code is not None:
            return self._signed_error(config, signed, code, signature_object)
        self.store.set_eim_counter(eim_id, counter)
        kind, operations = signed["euiccPackage"]
        results = (self._run_psmos(operations) if kind == "psmoList"
                   else self.ecos.run(operations))
        seq = self.store.next_counter(SEQ_COUNTER)
        data = {"eimId": eim_id, "counterValue": counter, "seqNumber": seq,
                "euiccResult": results}
        if "transactionId" in signed:
            data["transactionId"] = signed["transactionId"]
        spec = sgp32()
        tbs = encode(spec, "EuiccPackageResultDataSigned", data) + signature_object
        result = ("euiccPackageResultSigned", {
            "euiccPackageResultDataSigned": data,
            "euiccSignEPR": self.entropy.sign(self.eims.identity_for(config).private_key, tbs),
        })
        self.store.add_package_result(seq, eim_id, encode(spec, "EuiccPackageResult", result))
        return result

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
    def _run_psmos(self, operations: list) -> list:
        results = []
        for name, value in operations:
            result = self._psmo(name, value)
            results.append(result)
            if result[0] == "processingTerminated":
                break  # what follows is not executed
        return results

    def _psmo(self, name: str, value: dict) -> tuple:
        profiles = self.profiles
        if name == "enable":
            # a PSMO has no refreshFlag: a profile change always asks for the UICC reset
            answer = profiles.enable_profile({"profileIdentifier": ("iccid", value["iccid"]),
                                              "refreshFlag": True})
            return ("enableResult", answer["enableResult"])
        if name == "disable":
            answer = profiles.disable_profile({"profileIdentifier": ("iccid", value["iccid"]),
                                               "refreshFlag": True})
            return ("disableResult", answer["disableResult"])
        if name == "delete":
            return ("deleteResult", profiles.delete_profile(("iccid", value["iccid"]))
                    ["deleteResult"])
        if name == "listProfileInfo":
            return ("listProfileInfoResult", profiles.get_profiles_info(value))
        if name == "getRAT":
            return ("getRATResult", self.info.get_rat({})["rat"])
        return ("processingTerminated", PROCESSING_UNDEFINED)  # configureAutoEnable: not yet
