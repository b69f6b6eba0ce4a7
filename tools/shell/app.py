"""The interactive shell (cmd2: completion, history, help per command) and its one-shot
form for scripts (``euicc-emu shell -c COMMAND``). It opens a card's state directory
read-only, beside a running card or without one, and reaches a running card through its
control socket for the ES10c management functions (SGP.22 5.7.16-5.7.21) and its trace.

Every command fails the same way: it raises, :meth:`CardShell.onecmd` puts the exception
into words once (:func:`.errors.explain`) and reports it on stderr, or as
``{"ok": false, "error": ...}`` on stdout with ``--json``; ``-c`` then exits non-zero
(1 a failure, 2 a usage error)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cmd2
from cmd2 import Cmd2ArgumentParser, Completions, Statement
from cmd2.exceptions import Cmd2ArgparseError

from euicc.store import CardStore
from euicc.trace import RecentExchanges
from euicc_tools.lpa import management
from euicc_tools.lpa.management import ACTIONS, result_name

from . import actions, complete, faults, files, iot, view
from .decode import format_decoded
from .errors import USAGE, ShellError, UsageError, explain

STATE = "Card state (read-only; also beside a running card)"
RUNNING = "Running card (through its control socket)"
BUILT_IN = "Shell built-ins (cmd2)"


class Parser(Cmd2ArgumentParser):
    """A command's options: every command takes --json; a usage error is raised (and
    reported like any failure) instead of printed."""

    def __init__(self, *args, json_option: bool = True, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)  # "--json" is looked for as typed
        super().__init__(*args, **kwargs)
        if json_option:
            self.add_argument("--json", action="store_true", help="JSON output")

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} ({self.format_usage().strip()})")


def table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[str(row.get(c) if row.get(c) is not None else "") for c in columns]
             for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def one_line(doc: str | None) -> str:
    """A command's description: the first paragraph of its docstring, on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def exchange_count(text: str) -> int:
    """How many exchanges ``log --count`` asks for: what the card's ring buffer holds."""
    if not text.isdigit() or not 1 <= int(text) <= RecentExchanges.CAPACITY:
        raise argparse.ArgumentTypeError(
            f"N is a number from 1 to {RecentExchanges.CAPACITY}, not {text!r}")
    return int(text)


class CardShell(cmd2.Cmd):
    """Look into an emulated eUICC."""

    def __init__(self, state: Path, pki: Path | None = None, as_json: bool = False,
                 history: Path | None = None) -> None:
        super().__init__(allow_cli_args=False, include_ipy=False, include_py=False,
                         persistent_history_file=str(history) if history else "")
        self.prompt = "euicc> "
        self.state, self.pki, self.as_json = state, pki, as_json
        self.status = 0  # exit status of a one-shot run: the worst failure
        self._json_now = as_json
        self.store = CardStore(state, read_only=True)
        self.intro = f"eUICC state {state} (read-only). Type help."

    # -- one way to succeed, one way to fail -------------------------------------------------
    def _show(self, data, render) -> None:
        self.poutput(json.dumps(data, indent=2) if self._json_now else render(data))

    def _fail(self, error: ShellError, extra: dict | None = None) -> None:
        self.last_result = False
        self.status = max(self.status, error.status)
        if self._json_now:
            self.poutput(json.dumps({"ok": False, "error": str(error), **(extra or {})}))
        else:
            self.perror(str(error))

    def onecmd(self, statement: Statement | str, *, add_to_history: bool = True) -> bool:
        if not isinstance(statement, Statement):
            statement = self.statement_parser.parse(statement)
        self._json_now = self.as_json or "--json" in statement.arg_list
        try:
            return super().onecmd(statement, add_to_history=add_to_history)
        except Cmd2ArgparseError as exc:  # a built-in's usage error, already printed
            code = exc.__cause__.code if isinstance(exc.__cause__, SystemExit) else USAGE
            if code:
                self.last_result = False
                self.status = max(self.status, USAGE)
                if self._json_now:
                    self.poutput(json.dumps({"ok": False, "error": f"{statement.command}: "
                                             f"usage error (help {statement.command})"}))
            raise
        except Exception as exc:  # noqa: BLE001 - the one place failures are worded
            self._fail(explain(exc))
            return False

    def pexcept(self, exception: BaseException, **kwargs) -> None:
        """Whatever still reaches cmd2 is worded like any failure (no cmd2 hints)."""
        if self.debug:
            super().pexcept(exception, **kwargs)
        self._fail(explain(exception))

    def default(self, statement: Statement) -> None:
        self._fail(UsageError(f"unknown command {statement.command!r}; help lists them"))

    # -- help ------------------------------------------------------------------------------
    help_parser = Parser(description="List the commands, or show one command's options.",
                         json_option=False)
    help_parser.add_argument("command", nargs="?", help="command to show the options of",
                             completer=cmd2.Cmd.complete_help_command)

    @cmd2.with_argparser(help_parser)
    def do_help(self, args) -> None:
        """List the commands with their descriptions, or show one command's options."""
        if args.command:
            func = self.get_command_func(args.command)
            if func is None:
                raise UsageError(f"no command {args.command!r}; help lists them")
            parser = self.command_parsers.get(func)
            self.poutput(parser.format_help() if parser is not None else one_line(func.__doc__))
            return
        groups: dict[str, list[str]] = {STATE: [], RUNNING: [], BUILT_IN: []}
        for name in self.get_visible_commands():
            func = self.get_command_func(name)
            group = getattr(func, cmd2.constants.COMMAND_ATTR_HELP_CATEGORY, BUILT_IN)
            groups.setdefault(group, []).append(name)
        width = max(len(name) for names in groups.values() for name in names) + 2
        lines = []
        for group, names in groups.items():
            lines += ["", group, "-" * len(group)]
            lines += [f"  {name:{width}}{one_line(self.get_command_func(name).__doc__)}"
                      for name in names]
        lines += ["", "help COMMAND shows a command's options; every command of the card "
                      "takes --json."]
        self.poutput("\n".join(lines[1:]))

    # -- completion --------------------------------------------------------------------------
    def _complete_profile(self, text, line, begidx, endidx) -> Completions:
        return self.basic_complete(text, line, begidx, endidx,
                                   complete.profile_items(self.store))

    def _complete_path(self, text, line, begidx, endidx, arg_tokens) -> Completions:
        target = (arg_tokens.get("profile") or [None])[0]
        return complete.path_completions(self.store, target, text)

    # -- the card's state ----------------------------------------------------------------------
    info_parser = Parser()

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(info_parser)
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

    profiles_parser = Parser()

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(profiles_parser)
    def do_profiles(self, _) -> None:
        """Installed profiles: ICCID, ISD-P AID, state, class, name, provider, nickname."""
        self._show(view.profiles(self.store), lambda rows: table(
            rows, ["iccid", "isdpAid", "state", "class", "name", "provider", "nickname"]))

    show_parser = Parser()
    show_parser.add_argument("profile", help="ICCID or ISD-P AID",
                             completer=_complete_profile)

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(show_parser)
    def do_profile(self, args) -> None:
        """One profile: ISD-P, state, class, metadata, policy rules, notifications."""
        def render(d: dict) -> str:
            lines = []
            for key, value in d.items():
                if isinstance(value, list) and value and isinstance(value[0], str):
                    lines.append(f"{key:20}{value[0]}")
                    lines += [f"{'':20}{item}" for item in value[1:]]
                else:
                    lines.append(f"{key:20}{value}")
            return "\n".join(lines)

        self._show(view.profile(self.store, args.profile), render)

    tree_parser = Parser()
    tree_parser.add_argument("profile", nargs="?", help="ICCID or ISD-P AID (default: enabled)",
                             completer=_complete_profile)

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(tree_parser)
    def do_tree(self, args) -> None:
        """A profile's file system: FID, type, name, size, records, SFI, AIDs of ADFs."""
        self._show(files.tree(self.store, args.profile), files.render_tree)

    read_parser = Parser(description="One file of a profile: its FCP fields, its content, "
                         "and the content decoded: ICCID, IMSI (with MCC and MNC, the MNC "
                         "length from EF.AD), AD, UST/IST/EST, SPN, PLMN lists, MSISDN, "
                         "ADN, ARR, EF.DIR, LOCI, IMPI/IMPU, ...")
    read_parser.add_argument("path", help="e.g. EF.IMSI, ADF.USIM/EF.AD, 3F00/2FE2",
                             completer=_complete_path)
    read_parser.add_argument("--profile", metavar="ICCID|AID", help="default: the enabled one",
                             completer=_complete_profile)
    read_parser.add_argument("--reveal", action="store_true", help="show EF.Keys in clear")

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(read_parser)
    def do_read(self, args) -> None:
        """One file of a profile: FCP fields, content, and the content decoded."""
        def render(d: dict) -> str:
            head = [f"{k:14}{v}" for k, v in d.items()
                    if k not in ("raw", "decoded", "children")]
            if "children" in d:
                return "\n".join(head + [f"  {c['fid']} {c['name'] or ''}"
                                         for c in d["children"]])
            raw = d["raw"] if isinstance(d["raw"], str) else "\n".join(
                f"  {n:3} {r}" for n, r in enumerate(d["raw"], 1))
            decoded = ["decoded", format_decoded(d["decoded"])] if d["decoded"] is not None \
                else []
            return "\n".join(head + ["raw", raw] + decoded)

        self._show(files.read(self.store, args.path, args.profile, args.reveal), render)

    keys_parser = Parser()
    keys_parser.add_argument("--reveal", action="store_true",
                             help="print private keys in clear (test PKIs only!)")
    keys_parser.add_argument("--profile", metavar="ICCID|AID", completer=_complete_profile,
                             help="the PINs, PUKs and AKA keys of a profile instead")

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(keys_parser)
    def do_keys(self, args) -> None:
        """The eUICC's keys, or a profile's PINs, PUKs and K/OPc; masked unless --reveal."""
        if args.profile:
            self._show(files.profile_secrets(self.store, args.profile, args.reveal),
                       lambda rows: table(rows, ["key", "value", "detail"]))
            return
        self._show(view.keys(self.state, self.store, self.pki, args.reveal),
                   lambda rows: table(rows, ["key", "ciPkid", "public", "private"]))

    notifications_parser = Parser()

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(notifications_parser)
    def do_notifications(self, _) -> None:
        """Pending notifications with their sequence numbers."""
        self._show(view.notifications(self.store), lambda rows: table(
            rows, ["seqNumber", "operation", "address", "iccid"]))

    # -- an IoT eUICC's (SGP.32) -----------------------------------------------------------
    eims_parser = Parser()

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(eims_parser)
    def do_eims(self, _) -> None:
        """IoT eUICC: the eIM configuration (eimId, FQDN, id type, counterValue, token,
        protocols, public key or certificate); SGP.32 2.11.1.1.1, 5.9.18."""
        self._show(iot.eims(self.store), iot.render_eims)

    package_results_parser = Parser()
    package_results_parser.add_argument("--last", type=exchange_count, metavar="N",
                                        help="only the last N results")

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(package_results_parser)
    def do_package_results(self, args) -> None:
        """IoT eUICC: the eUICC Package Results kept for the IPA, each operation's result
        by its SGP.32 name; SGP.32 2.11.2.1."""
        self._show(iot.package_results(self.store, args.last), iot.render_package_results)

    iot_parser = Parser()

    @cmd2.with_category(STATE)
    @cmd2.with_argparser(iot_parser)
    def do_iot(self, _) -> None:
        """IoT eUICC: its SGP.32 version, the rollback and the auto-enable state; SGP.32
        5.9.16, 2.11.1.1.3."""
        self._show(iot.card_state(self.store), iot.render_card_state)

    # -- management actions, through the running card --------------------------------------
    def _act(self, action: str, request) -> None:
        code = actions.run(self.state, action, request)
        function, name = ACTIONS[action].function, result_name(action, code)
        answer = {"action": action, "function": function, "result": name, "code": code}
        if code != 0:
            self._fail(ShellError(f"{function}: {name} ({code})"), answer)
            return
        self._show({"ok": True, **answer}, lambda d: d["result"])

    switch_parser = Parser()
    switch_parser.add_argument("profile", help="ICCID or ISD-P AID", completer=_complete_profile)
    switch_parser.add_argument("--no-refresh", action="store_true",
                               help="refreshFlag false (no UICC reset asked for)")

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(switch_parser)
    def do_enable(self, args) -> None:
        """ES10c.EnableProfile on the running card."""
        self._act("enable", management.switch(args.profile, not args.no_refresh))

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(switch_parser)
    def do_disable(self, args) -> None:
        """ES10c.DisableProfile on the running card."""
        self._act("disable", management.switch(args.profile, not args.no_refresh))

    delete_parser = Parser()
    delete_parser.add_argument("profile", help="ICCID or ISD-P AID", completer=_complete_profile)

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(delete_parser)
    def do_delete(self, args) -> None:
        """ES10c.DeleteProfile on the running card."""
        self._act("delete", management.delete(args.profile))

    nickname_parser = Parser()
    nickname_parser.add_argument("iccid", completer=_complete_profile)
    nickname_parser.add_argument("name", nargs="?", default="",
                                 help="at most 64 characters; none clears the nickname")

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(nickname_parser)
    def do_nickname(self, args) -> None:
        """ES10c.SetNickname on the running card."""
        self._act("nickname", management.nickname(args.iccid, args.name))

    reset_parser = Parser()
    reset_parser.add_argument("--operational", action="store_true",
                              help="delete operational profiles")
    reset_parser.add_argument("--test", action="store_true",
                              help="delete field-loaded test profiles")
    reset_parser.add_argument("--default-address", action="store_true",
                              help="reset the default SM-DP+ address")

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(reset_parser)
    def do_memory_reset(self, args) -> None:
        """ES10c.eUICCMemoryReset on the running card."""
        self._act("memory_reset", management.memory_reset(args.operational, args.test,
                                                       args.default_address))

    log_parser = Parser()
    log_parser.add_argument("--count", type=exchange_count, metavar="N",
                            help="print the card's last N exchanges (at most "
                                 f"{RecentExchanges.CAPACITY}) and return")

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(log_parser)
    def do_log(self, args) -> None:
        """The running card's APDU trace: the last N exchanges, or live (Ctrl-C stops)."""
        def line(event: dict) -> str:
            channel = "-" if event["channel"] is None else event["channel"]
            injected = "".join(f"  [{mark}]" for mark in event.get("injected", []))
            return (f"ch{channel} {event['name']:40} {event['sw'] or '----'} {event['in']:>5} "
                    f"in {event['out']:>5} out {event['ms']:>8} ms{injected}")

        if args.count:
            self._show(actions.recent(self.state, args.count),
                       lambda events: "\n".join(map(line, events)) or "(none)")
            return
        try:
            for event in actions.follow(self.state):
                self.poutput(json.dumps(event) if self._json_now else line(event))
        except KeyboardInterrupt:
            pass

    fault_parser = Parser(description=faults.__doc__.split("\n\n")[0])
    fault_commands = fault_parser.add_subparsers(dest="what", required=True)
    fault_add = fault_commands.add_parser("add", help="add a rule (see help fault)")
    fault_add.add_argument("match", help="an ES10 function, a BPP part, an ISO command, "
                                         "or INS=XX (fault targets lists them)")
    fault_add.add_argument("action", choices=["error", "status", "delay", "malformed",
                                              "transport"])
    fault_add.add_argument("fields", nargs="*", metavar="key=value",
                           help="code=, sw=, ms=, form=, event=, channel=, segment=, ins=, "
                                "times= (N or always), after=, id=")
    fault_commands.add_parser("list", help="the rules, with how often each matched and fired")
    fault_clear = fault_commands.add_parser("clear", help="remove one rule, or all")
    fault_clear.add_argument("id", nargs="?")
    fault_commands.add_parser("targets", help="what the card's rules may name")

    @cmd2.with_category(RUNNING)
    @cmd2.with_argparser(fault_parser)
    def do_fault(self, args) -> None:
        """The running card's fault plan: add, list, clear rules; the targets they may name."""
        if args.what == "add":
            rule = faults.rule_fields(args.match, args.action, args.fields)
            answer = actions.control_request(self.state, {"op": "fault-add", "rule": rule})
            self._show(answer, lambda a: f"{a['fault']['id']}: {a['fault']['text']}")
        elif args.what == "list":
            answer = actions.control_request(self.state, {"op": "fault-list"})
            self._show(answer, lambda a: faults.render_rules(a["faults"]))
        elif args.what == "clear":
            request = {"op": "fault-clear", **({"id": args.id} if args.id else {})}
            answer = actions.control_request(self.state, request)
            self._show(answer, lambda a: f"{a['removed']} removed")
        else:
            answer = actions.control_request(self.state, {"op": "fault-targets"})
            self._show(answer, lambda a: faults.render_targets(a["targets"]))


def run(state: Path, pki: Path | None, command: str | None, as_json: bool) -> int:
    """``euicc-emu shell``: one command and its exit status, or the interactive loop."""
    try:
        if command is not None and not command.strip():
            raise UsageError("-c needs a command; -c help lists them")
        shell = CardShell(state, pki, as_json, None if command else state / "shell_history")
    except Exception as exc:  # noqa: BLE001 - worded like any failure of a command
        error = explain(exc)
        if as_json:
            print(json.dumps({"ok": False, "error": str(error)}))
        else:
            print(error, file=sys.stderr)
        return error.status
    if command:
        shell.onecmd_plus_hooks(command, add_to_history=False)
        return shell.status
    shell.cmdloop()
    return 0
