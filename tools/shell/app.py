"""The interactive shell (cmd2: completion, history, help per command) and its one-shot
form for scripts. This first version opens a card's state directory read-only, beside a
running card or without one."""

from __future__ import annotations

import json
from pathlib import Path

import cmd2

from euicc.store import CardStore

from . import view


def table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[str(row.get(c) if row.get(c) is not None else "") for c in columns]
             for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


class CardShell(cmd2.Cmd):
    """Look into an emulated eUICC."""

    def __init__(self, state: Path, pki: Path | None = None, as_json: bool = False,
                 history: Path | None = None) -> None:
        super().__init__(allow_cli_args=False, include_ipy=False, include_py=False,
                         persistent_history_file=str(history) if history else "")
        self.prompt = "euicc> "
        self.state, self.pki, self.as_json = state, pki, as_json
        self.store = CardStore(state, read_only=True)
        self.intro = f"eUICC state {state} (read-only). Type help."

    def _show(self, data, render) -> None:
        self.poutput(json.dumps(data, indent=2) if self.as_json else render(data))

    def do_info(self, _) -> None:
        """EID, eUICC and EUM certificates, trusted CIs, counts."""
        def render(d):
            pairs = [("EID", d["eid"]), ("default SM-DP+", d["defaultDpAddress"] or "-"),
                     ("profiles", d["profiles"]), ("notifications", d["pendingNotifications"])]
            for i in d["identities"]:
                pairs += [(f"eUICC ({i['curve']})", i["euiccCertificate"]["subject"]),
                          ("  EUM", i["eumCertificate"]["subject"]), ("  CI PKID", i["ciPkid"])]
            pairs += [(f"trusted CI ({ci['curve']})", ci["pkid"]) for ci in d["trustedCis"]]
            return "\n".join(f"{k:20}{v}" for k, v in pairs)

        self._show(view.info(self.state, self.store, self.pki), render)

    def do_profiles(self, _) -> None:
        """Installed profiles: ICCID, ISD-P AID, state, class, name, provider, nickname."""
        self._show(view.profiles(self.store), lambda rows: table(
            rows, ["iccid", "isdpAid", "state", "class", "name", "provider", "nickname"]))

    def do_notifications(self, _) -> None:
        """Pending notifications with their sequence numbers."""
        self._show(view.notifications(self.store), lambda rows: table(
            rows, ["seqNumber", "operation", "address", "iccid"]))


def run(state: Path, pki: Path | None, command: str | None, as_json: bool) -> int:
    history = None if command else state / "shell_history"
    shell = CardShell(state, pki, as_json, history)
    if command:
        if command.split()[0] not in shell.get_all_commands():
            shell.perror(f"unknown command {command.split()[0]!r}; try help")
            return 2
        shell.onecmd_plus_hooks(command)
        return 0
    shell.cmdloop()
    return 0
