"""The shell's ``fault`` command: the running card's fault plan (:mod:`euicc.faults`),
changed live through the control socket. The fields are those of a scenario file's
``[[fault]]`` table, given as ``key=value`` after the match and the action::

    fault add ES10c.EnableProfile error code=catBusy
    fault add SELECT status sw=6A82 channel=1 times=always
    fault add ES10b.LoadBoundProfilePackage.LoadProfileElements error segment=2 \\
        code=installFailedDueToInsufficientMemoryForProfile
    fault list | fault clear [ID] | fault targets

The card checks each rule against what it dispatches and answers what is wrong."""

from __future__ import annotations

from .errors import UsageError

TEXT_FIELDS = {"id", "match", "action", "code", "sw", "form", "event", "times"}


def _value(key: str, text: str):
    """Numbers where the schema has numbers (decimal or 0x hex); the rest as written (a
    status word stays four hex digits, a code may be a name)."""
    if key not in TEXT_FIELDS or key in ("code", "times"):
        try:
            return int(text, 0)
        except ValueError:
            if key not in TEXT_FIELDS:
                raise UsageError(f"fault add: {key}={text}: a number expected") from None
    return text


def rule_fields(match: str, action: str, pairs: list[str]) -> dict:
    """The [[fault]] table of ``fault add MATCH ACTION key=value...``. A MATCH of the form
    ``INS=A4`` names the INS instead of a command."""
    fields: dict = {"action": action}
    if match.upper().startswith("INS="):
        fields["ins"] = _value("ins", "0x" + match[4:])
    else:
        fields["match"] = match
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"fault add: {pair!r}: key=value expected (e.g. times=always)")
        if key in fields:
            raise UsageError(f"fault add: {key} given twice")
        fields[key] = _value(key, text)
    return fields


def render_rules(rules: list[dict]) -> str:
    if not rules:
        return "(no faults planned)"
    return "\n".join(f"{r['id']:10} {r['text']}  seen {r['seen']}, fired {r['fired']}"
                     for r in rules)


def render_targets(targets: dict[str, list[str]]) -> str:
    lines = []
    for layer, names in targets.items():
        lines += [f"{layer}:", *(f"  {name}" for name in names)]
    return "\n".join(lines)
