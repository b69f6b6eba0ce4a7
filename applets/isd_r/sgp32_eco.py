"""eIM Configuration Operations (SGP.32 v1.0 2.11.1.1.2 Eco; their execution 5.13 ESep
AddEim, DeleteEim, UpdateEim, ListEim): run in a signed eUICC Package
(:mod:`.sgp32_package`), each giving its EuiccResultData (2.11.2.1), in the package's one
store transaction.

- addEim: the eIM Configuration Data is checked as AddInitialEim checks it
  (:meth:`.sgp32_eim.EimConfiguration.check`); an eimId the card has already, or an entry
  without counterValue or eimPublicKeyData, is commandError(7); the card full
  insufficientMemory(1). The answer is the associationToken made when one was asked for (-1),
  else ok(0).
- deleteEim: eimNotFound(1); deleting the last eIM answers lastEimDeleted(2), and
  AddInitialEim may associate one again (5.13.9).
- updateEim: the members given replace the eIM's (eimId names it: eimNotFound(1)); a
  counterValue given becomes the eIM's counter (its range checked); an associationToken is
  not the IPA's to ask for in an update: commandError(7).
- listEim: every associated eIM's eimId, with its eimIdType where the configuration has one.
"""

from __future__ import annotations

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.store import EimRecord

from .sgp32_eim import EimConfiguration, EimError

OK, NOT_FOUND, LAST_EIM_DELETED, INSUFFICIENT_MEMORY, COMMAND_ERROR = 0, 1, 2, 1, 7


class EimConfigurationOperations:
    def __init__(self, eims: EimConfiguration) -> None:
        self.eims = eims
        self.store = eims.store

    def run(self, operations: list) -> list:
        handlers = {"addEim": self.add_eim, "deleteEim": self.delete_eim,
                    "updateEim": self.update_eim, "listEim": self.list_eim}
        return [handlers[name](value) for name, value in operations]

    def add_eim(self, entry: dict) -> tuple:
        try:
            if self.eims.find(entry["eimId"]) is not None:
                raise EimError(COMMAND_ERROR, "the eimId is associated already")
            if len(self.store.eims()) >= self.eims.settings.max_eims:
                raise EimError(INSUFFICIENT_MEMORY, "the card holds no more eIMs")
            self.eims.check(entry, COMMAND_ERROR)
        except EimError as exc:
            return ("addEimResult", ("addEimResultCode", exc.code))
        kind, token = self.eims.associate(entry)
        if kind == "associationToken":
            return ("addEimResult", ("associationToken", token))
        return ("addEimResult", ("addEimResultCode", OK))

    def delete_eim(self, value: dict) -> tuple:
        if not self.store.delete_eim(value["eimId"]):
            return ("deleteEimResult", NOT_FOUND)
        return ("deleteEimResult", OK if self.store.eims() else LAST_EIM_DELETED)

    def update_eim(self, update: dict) -> tuple:
        found = self.eims.find(update["eimId"])
        if found is None:
            return ("updateEimResult", NOT_FOUND)
        record, config = found
        try:
            if "associationToken" in update:
                raise EimError(COMMAND_ERROR, "an associationToken in an update")
            self.eims.check(update, COMMAND_ERROR, new=False)
        except EimError as exc:
            return ("updateEimResult", exc.code)
        config.update(update)
        self.store.replace_eim(EimRecord(
            record.eim_id, encode(sgp32(), "EimConfigurationData", config),
            update.get("counterValue", record.counter)))
        return ("updateEimResult", OK)

    def list_eim(self, value: dict) -> tuple:
        infos = []
        for record in self.store.eims():
            config = decode_exact(sgp32(), "EimConfigurationData", record.config)
            info = {"eimId": record.eim_id}
            if "eimIdType" in config:
                info["eimIdType"] = config["eimIdType"]
            infos.append(info)
        return ("listEimResult", ("eimIdList", infos))
