"""Write ``es10.lua`` (beside this file): the ES10 dissector's name tables, generated from
what the card itself uses, so Wireshark, the shell's log and the fault plan share the names.

    python -m euicc_tools.wireshark.generate [--check]

The tables come from the compiled SGP.22 RSPDefinitions module (SGP.22 Annex H; asn1tools'
DER types carry each member's tag) and from the ISD-R's ES10 table (function name, tag,
request and response types, SGP.22 5.7); the IoT eUICC's from SGP32Definitions and the
SGP.32 functions of each version (:mod:`euicc_tools.sgp32_functions`, SGP.32 5.9).
``--check`` exits 1 when the file shipped is not what the generator writes
(tests/unit/test_wireshark_dissector.py runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asn1tools.codecs import ber

from euicc.asn1 import rsp, sgp32
from euicc_tools import sgp32_functions

HERE = Path(__file__).resolve().parent
LUA = HERE / "es10.lua"
TEMPLATE = HERE / "es10_template.lua"
BPP = ("ES10b.LoadBoundProfilePackage", "BoundProfilePackage", "ProfileInstallationResult")


class Nodes:
    """Each ASN.1 type met, as a node: a name and its children by tag (hex). Members that
    share a tag (two SEQUENCEs in a row: serverSigned1 and serverCertificate) are listed
    in their order; the dissector takes the n-th for the n-th occurrence."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, list[int]]]] = []
        self._ids: dict[int, int] = {}

    def node(self, compiled, name: str) -> int:
        key = id(compiled)
        if key in self._ids:
            return self._ids[key]
        self.rows.append((name, {}))
        number = len(self.rows)
        self._ids[key] = number
        self.rows[number - 1][1].update(self._children(compiled))
        return number

    def _children(self, compiled) -> dict[str, list[int]]:
        if isinstance(compiled, ber.ExplicitTag):
            members = [(compiled.inner, compiled.inner.name or compiled.name)]
        elif isinstance(compiled, ber.Choice):
            members = [(m, m.name) for m in compiled.members]
        elif isinstance(compiled, ber.MembersType):
            members = [(m, m.name) for m in
                       compiled.root_members + ber.flatten(compiled.additions or [])]
        elif isinstance(compiled, ber.ArrayType):
            members = [(compiled.element_type, compiled.element_type.name or "item")]
        else:
            members = []
        kids: dict[str, list[int]] = {}
        for member, name in members:
            for tag, node in self._tagged(member, name).items():
                kids.setdefault(tag, []).append(node)
        return kids

    def _tagged(self, member, name: str) -> dict[str, int]:
        if isinstance(member, ber.Choice) and getattr(member, "tag", None) is None:
            return {tag: self.node(alt, alt.name) for tag, alt in
                    ((bytes(t).hex().upper(), a) for t, a in member.tag_to_member.items())}
        tag = getattr(member, "tag", None)
        if tag is None:  # ANY (a certificate): whatever element no other member takes
            return {"*": self.node(member, name)}
        return {bytes(tag).hex().upper(): self.node(member, name)}


def es10_functions() -> list[tuple[str, int, str, str]]:
    """(name, tag, request type, response type) of each ES10 function the ISD-R answers."""
    from euicc_tools.conformance.trace import es10_table

    return [(name, tag, request, response)
            for tag, (name, request, response) in es10_table().items()]


def _add(spec, nodes: Nodes, requests: dict, responses: dict, name: str, tag: int,
         request: str, response: str) -> None:
    """One function's request and response nodes; a type the module lacks: named only
    (``nil``: the dissector shows its data undecoded)."""
    found = spec._types.get(request)
    requests[f"{tag:04X}"] = (name, "nil" if found is None else nodes.node(found._type,
                                                                            request))
    found = spec._types.get(response)
    response_type = None if found is None else found._type
    response_tag = bytes(response_type.tag).hex().upper() if getattr(
        response_type, "tag", None) is not None else f"{tag:04X}"
    responses[response_tag] = (name, "nil" if found is None else nodes.node(response_type,
                                                                            response))


def _table(name: str, entries: dict) -> list[str]:
    return [f"{name} = {{", *(f'  ["{tag}"]={{fn="{fn}", node={node}}},'
                             for tag, (fn, node) in sorted(entries.items())), "}"]


def lua_text() -> str:
    spec = rsp()
    nodes = Nodes()
    requests, responses = {}, {}
    functions = es10_functions()
    for name, tag, request, response in [*functions, (BPP[0], 0xBF36, BPP[1], BPP[2])]:
        _add(spec, nodes, requests, responses, name, tag, request, response)
    iot_spec = sgp32()  # SGP.32's functions, with the SGP.22 types they import
    iot_tables = []
    for version in sgp32_functions.VERSIONS:
        iot_requests, iot_responses = {}, {}
        for tag, (name, request, response) in sgp32_functions.functions(version).items():
            _add(iot_spec, nodes, iot_requests, iot_responses, name, tag, request, response)
        iot_tables += [f'SGP32["{version}"] = {{}}',
                       *_table(f'SGP32["{version}"].requests', iot_requests),
                       *_table(f'SGP32["{version}"].responses', iot_responses)]
    lines = ["-- Generated by python -m euicc_tools.wireshark.generate: do not edit.",
             "local NODES = {"]
    for name, kids in nodes.rows:
        children = ", ".join(f'["{tag}"]={{{", ".join(map(str, ids))}}}'
                             for tag, ids in sorted(kids.items()))
        lines.append(f'  {{name="{name}", kids={{{children}}}}},')
    lines.append("}")
    for table, entries in (("REQUESTS", requests), ("RESPONSES", responses)):
        lines += _table(f"local {table}", entries)
    only = ", ".join(f'["{tag:04X}"]=true' for tag in sorted(sgp32_functions.SGP32_ONLY))
    lines += ["-- SGP.32 (IoT eUICC) functions by version; the tags only SGP.32 has",
              "local SGP32 = {}", *iot_tables, f"local SGP32_ONLY = {{{only}}}"]
    return "\n".join(lines) + "\n" + TEMPLATE.read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m euicc_tools.wireshark.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if es10.lua is not what the generator writes")
    args = parser.parse_args(argv)
    text = lua_text()
    if args.check:
        if LUA.read_text() != text:
            print(f"{LUA} is out of date: run python -m euicc_tools.wireshark.generate",
                  file=sys.stderr)
            return 1
        return 0
    LUA.write_text(text)
    print(f"wrote {LUA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
