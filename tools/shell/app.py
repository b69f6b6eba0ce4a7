"""The interactive shell (cmd2: completion, history, help per command) and its one-shot
form for scripts. This first version opens a card's state directory read-only, beside a
running card or without one."""

from __future__ import annotations

import json
from pathlib import Path

import cmd2

from euicc.store import CardStore

from . import actions, files, view
from .decode import format_decoded


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
        """EID, eUICC and EUM certificates, trusted CIs, versions, free memory, counts."""
        def render(d):
            pairs = [("EID", d["eid"]), ("default SM-DP+", d["defaultDpAddress"] or "-"),
                     ("profiles", d["profiles"]), ("notifications", d["pendingNotifications"])]
            for i in d["identities"]:
                pairs += [(f"eUICC ({i['curve']})", i["euiccCertificate"]["subject"]),
                          ("  EUM", i["eumCertificate"]["subject"]), ("  CI PKID", i["ciPkid"])]
            pairs += [(f"trusted CI ({ci['curve']})", ci["pkid"]) for ci in d["trustedCis"]]
            v, m = d["versions"], d["memory"]
            pairs += [("SGP.22", v["sgp22"]), ("profile package", v["profilePackage"]),
                      ("firmware", v["firmware"]), ("GlobalPlatform", v["globalPlatform"]),
                      ("free memory", f"{m['free']} of {m['capacity']} bytes")]
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


    show_parser = cmd2.Cmd2ArgumentParser()
    show_parser.add_argument("profile", help="ICCID or ISD-P AID")

    @cmd2.with_argparser(show_parser)
    def do_profile(self, args) -> None:
        """One profile: ISD-P, state, class, metadata, policy rules, notifications."""
        try:
            data = view.profile(self.store, args.profile)
        except ValueError as exc:
            self.perror(str(exc))
            self.last_result = False
            return
        if data is None:
            self.perror(f"no profile {args.profile}")
            self.last_result = False
            return
        def render(d: dict) -> str:
            lines = []
            for key, value in d.items():
                if isinstance(value, list) and value and isinstance(value[0], str):
                    lines.append(f"{key:20}{value[0]}")
                    lines += [f"{'':20}{item}" for item in value[1:]]
                else:
                    lines.append(f"{key:20}{value}")
            return "\n".join(lines)

        self._show(data, render)

    keys_parser = cmd2.Cmd2ArgumentParser()
    keys_parser.add_argument("--reveal", action="store_true",
                             help="print private keys in clear (test PKIs only!)")
    keys_parser.add_argument("--profile", metavar="ICCID|AID",
                             help="the PINs, PUKs and AKA keys of a profile instead")

    @cmd2.with_argparser(keys_parser)
    def do_keys(self, args) -> None:
        """The eUICC's keys, or a profile's PINs, PUKs and K/OPc; values masked unless
        --reveal."""
        if args.profile:
            self._files(lambda: files.profile_secrets(self.store, args.profile, args.reveal),
                        lambda rows: table(rows, ["key", "value", "detail"]))
            return
        self._show(view.keys(self.state, self.store, self.pki, args.reveal),
                   lambda rows: table(rows, ["key", "ciPkid", "public", "private"]))

    # -- a profile's file system ------------------------------------------------------------
    def _files(self, compute, render) -> None:
        try:
            data = compute()
        except ValueError as exc:
            self.perror(str(exc))
            self.last_result = False
            return
        self._show(data, render)

    tree_parser = cmd2.Cmd2ArgumentParser()
    tree_parser.add_argument("profile", nargs="?", help="ICCID or ISD-P AID (default: enabled)")

    @cmd2.with_argparser(tree_parser)
    def do_tree(self, args) -> None:
        """A profile's file system: FID, type, name, size, records, SFI, AIDs of ADFs."""
        self._files(lambda: files.tree(self.store, args.profile), files.render_tree)

    def _path_candidates(self) -> list[str]:
        try:
            file_tree = files.load_tree(self.store, files.pick_profile(self.store, None))
        except ValueError:
            return []
        return sorted({f.name for f in file_tree.walk() if f.name})

    def _complete_path(self, text, line, begidx, endidx) -> list[str]:
        return self.basic_complete(text, line, begidx, endidx, self._path_candidates())

    read_parser = cmd2.Cmd2ArgumentParser()
    read_parser.add_argument("path", help="e.g. EF.IMSI, ADF.USIM/EF.AD, 3F00/2FE2",
                             completer=_complete_path)
    read_parser.add_argument("--profile", metavar="ICCID|AID", help="default: the enabled one")
    read_parser.add_argument("--reveal", action="store_true", help="show EF.Keys in clear")

    @cmd2.with_argparser(read_parser)
    def do_read(self, args) -> None:
        """One file of a profile: its FCP fields, content, and the content decoded (ICCID,
        IMSI, AD, UST/IST, SPN, PLMN lists, MSISDN, ARR, EF.DIR, IMPI/IMPU, ...)."""
        def render(d: dict) -> str:
            head = [f"{k:14}{v}" for k, v in d.items()
                    if k not in ("raw", "decoded", "children")]
            if "children" in d:
                return "\n".join(head + [f"  {c['fid']} {c['name'] or ''}"
                                         for c in d["children"]])
            raw = d["raw"] if isinstance(d["raw"], str) else "\n".join(
                f"  {n:3} {r}" for n, r in enumerate(d["raw"], 1))
            body = ["raw", raw if isinstance(d["raw"], str) else raw]
            decoded = ["decoded", format_decoded(d["decoded"])] if d["decoded"] is not None \
                else []
            return "\n".join(head + body + decoded)

        self._files(lambda: files.read(self.store, args.path, args.profile, args.reveal),
                    render)

    # -- management actions, through the running card --------------------------------------
    def _act(self, action: str, act) -> None:
        try:
            code = actions.with_card(self.state, act)
        except (actions.NotRunning, ValueError, OSError) as exc:
            self.perror(str(exc))
            self.last_result = False
            return
        name = actions.result_name(action, code)
        self._show({"action": action, "result": name, "code": code}, lambda d: d["result"])
        self.last_result = code == 0

    refresh_parser = cmd2.Cmd2ArgumentParser()
    refresh_parser.add_argument("profile", help="ICCID or ISD-P AID")
    refresh_parser.add_argument("--no-refresh", action="store_true",
                                help="refreshFlag false (no UICC reset asked for)")

    @cmd2.with_argparser(refresh_parser)
    def do_enable(self, args) -> None:
        """ES10c.EnableProfile on the running card."""
        self._act("enable", lambda es10: actions.enable(es10, args.profile, not args.no_refresh))

    @cmd2.with_argparser(refresh_parser)
    def do_disable(self, args) -> None:
        """ES10c.DisableProfile on the running card."""
        self._act("disable",
                  lambda es10: actions.disable(es10, args.profile, not args.no_refresh))

    profile_parser = cmd2.Cmd2ArgumentParser()
    profile_parser.add_argument("profile", help="ICCID or ISD-P AID")

    @cmd2.with_argparser(profile_parser)
    def do_delete(self, args) -> None:
        """ES10c.DeleteProfile on the running card."""
        self._act("delete", lambda es10: actions.delete(es10, args.profile))

    nickname_parser = cmd2.Cmd2ArgumentParser()
    nickname_parser.add_argument("iccid")
    nickname_parser.add_argument("name", nargs="?", default="")

    @cmd2.with_argparser(nickname_parser)
    def do_nickname(self, args) -> None:
        """ES10c.SetNickname on the running card."""
        self._act("nickname", lambda es10: actions.nickname(es10, args.iccid, args.name))

    reset_parser = cmd2.Cmd2ArgumentParser()
    reset_parser.add_argument("--operational", action="store_true",
                              help="delete operational profiles")
    reset_parser.add_argument("--test", action="store_true",
                              help="delete field-loaded test profiles")
    reset_parser.add_argument("--default-address", action="store_true",
                              help="reset the default SM-DP+ address")

    @cmd2.with_argparser(reset_parser)
    def do_memory_reset(self, args) -> None:
        """ES10c.eUICCMemoryReset on the running card."""
        self._act("memory_reset", lambda es10: actions.memory_reset(
            es10, args.operational, args.test, args.default_address))

    log_parser = cmd2.Cmd2ArgumentParser()
    log_parser.add_argument("--count", type=int, help="stop after this many exchanges")

    @cmd2.with_argparser(log_parser)
    def do_log(self, args) -> None:
        """Live APDU trace of the running card (Ctrl-C stops it)."""
        try:
            for n, event in enumerate(actions.trace(self.state), 1):
                channel = "-" if event["channel"] is None else event["channel"]
                self.poutput(json.dumps(event) if self.as_json else
                             f"ch{channel} {event['name']:40} {event['sw']} "
                             f"{event['in']:>5} in {event['out']:>5} out {event['ms']:>8} ms")
                if args.count and n >= args.count:
                    break
        except KeyboardInterrupt:
            pass
        except (actions.NotRunning, OSError) as exc:
            self.perror(str(exc))


def run(state: Path, pki: Path | None, command: str | None, as_json: bool) -> int:
    history = None if command else state / "shell_history"
    shell = CardShell(state, pki, as_json, history)
    if command:
        if command.split()[0] not in shell.get_all_commands():
            shell.perror(f"unknown command {command.split()[0]!r}; try help")
            return 2
        shell.onecmd_plus_hooks(command)
        return 1 if shell.last_result is False else 0
    shell.cmdloop()
    return 0
