"""The fuzz targets: one per parser that takes outside bytes. Each turns one fuzz input into
a call of that parser, lets through the layer's own declared error, and turns anything
else into a finding:

- an exception other than the declared one escapes;
- a layer that swallows internal errors (``Card.transmit`` answers '6F00', an ES10 handler
  answers ``undefinedError``) logged one with its traceback (:class:`ErrorTrap`);
- an answer breaks what the specification says of it (:class:`Finding`): a status word
  outside ISO/IEC 7816-4 5.1.3, a response that does not decode as the function's SGP.22
  response type, a BPP whose elements depend on where it was cut, a file whose body does
  not match its size, an image that does not survive the store's rows.

Declared errors per layer: ``SwError`` (card OS, ISO/IEC 7816-4 status words), ``Asn1Error``
(DER that is not the expected type), ``BppFailure`` (SGP.22 5.7.6 ProfileInstallationResult
error), ``PeError`` (SAIP PEStatus), ``FileError`` (PEStatus bad-values of a file command),
``PeerClosed`` (vpcd connection ends).
"""

from __future__ import annotations

import logging
import pickle
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from euicc.apdu import CommandApdu
from euicc.asn1 import Asn1Error, decode_exact, pe, rsp
from euicc.fs.fcp import encode_fcp
from euicc.fs.model import MF_FID, File, FileTree, FileType
from euicc.ppi import PeError, ProfileInterpreter
from euicc.ppi.files import FileError
from euicc.ppi.placement import _create as create_template_file
from euicc.ppi.templates import TEMPLATES
from euicc.store_image import file_rows, image_from_rows, secret_rows
from euicc.sw import SwError
from euicc.tlv import split, tlv
from euicc.transport.vpcd import PeerClosed, serve_connection
from euicc_applets.isd_r.bpp import BppEvent, BppFailure, BppStream
from euicc_tools.testkit.profile_builder import end as end_element

from .state import CardState, built_package, realistic_card

MAX_APDUS = 24  # APDUs per transmit input: enough for a STORE DATA chain
LONG_FRAME = 0xFF  # in a transmit input: a 2-byte length follows


class Finding(AssertionError):
    """An answer that breaks what the specification says of it."""


class ErrorTrap(logging.Handler):
    """Collects records logged with a traceback at ERROR or above: the card's way of saying
    that something failed inside although the caller got a clean status word."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.caught: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.caught.append(record)

    def check(self) -> None:
        if self.caught:
            record, self.caught = self.caught[0], []
            error = record.exc_info[1]
            raise Finding(f"logged internal error: {record.getMessage()}: "
                          f"{type(error).__name__}: {error}") from error


@cache
def error_trap() -> ErrorTrap:
    trap = ErrorTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    root.setLevel(logging.WARNING)
    for handler in root.handlers:  # keep the fuzzer's output readable
        if handler is not trap:
            handler.setLevel(logging.CRITICAL)
    return trap


@cache
def card_state() -> CardState:
    return realistic_card()


@dataclass(frozen=True)
class Target:
    name: str
    summary: str
    make: Callable[[], Callable[[bytes], None]]  # builds the state, returns the one-input call
    max_len: int  # libFuzzer -max_len: the largest input worth mutating


# -- C-APDU parsing (ISO/IEC 7816-4 5.1, 5.4.1) ----------------------------------------------
def apdu_target() -> Callable[[bytes], None]:
    def one(data: bytes) -> None:
        try:
            apdu = CommandApdu.parse(data)
        except SwError:
            return
        if apdu.to_bytes() != data:  # one encoding per case: parsing loses nothing
            raise Finding(f"{data.hex()} parsed as {apdu} encodes as {apdu.to_bytes().hex()}")
        if apdu.le is not None and not 1 <= apdu.le <= 65536:
            raise Finding(f"Le {apdu.le}")
        try:
            apdu.class_byte  # noqa: B018  (decoding the CLA is the point)
        except SwError:
            pass

    return one


# -- Card.transmit as a whole ----------------------------------------------------------------
def split_apdus(data: bytes) -> list[bytes]:
    """A transmit input: APDUs each behind a length byte (FF: a 2-byte length follows)."""
    apdus, offset = [], 0
    while offset < len(data) and len(apdus) < MAX_APDUS:
        length = data[offset]
        offset += 1
        if length == LONG_FRAME:
            length = int.from_bytes(data[offset:offset + 2], "big")
            offset += 2
        apdus.append(data[offset:offset + length])
        offset += length
    return apdus


def join_apdus(apdus: list[bytes]) -> bytes:
    return b"".join((bytes([len(a)]) if len(a) < LONG_FRAME else
                     bytes([LONG_FRAME]) + len(a).to_bytes(2, "big")) + a for a in apdus)


def check_response(apdu: bytes, response: bytes) -> None:
    if len(response) < 2:
        raise Finding(f"{apdu.hex()}: response {response.hex()} has no status word")
    sw = int.from_bytes(response[-2:], "big")
    if not (0x6100 <= sw <= 0x6FFF or 0x9000 <= sw <= 0x9FFF):  # ISO/IEC 7816-4 5.1.3
        raise Finding(f"{apdu.hex()}: {sw:04X} is no status word")
    if len(response) - 2 > 256:  # T=0: at most 256 bytes per response (ISO/IEC 7816-3 10.3.4)
        raise Finding(f"{apdu.hex()}: {len(response) - 2} response bytes")


def transmit_target() -> Callable[[bytes], None]:
    state, trap = card_state(), error_trap()

    def one(data: bytes) -> None:
        with state.rolled_back():
            for apdu in split_apdus(data):
                check_response(apdu, state.card.transmit(apdu))
        trap.check()

    return one


# -- ES10 requests (SGP.22 5.7), one function per input ---------------------------------------
def es10_functions(state: CardState) -> list:
    es10 = state.isd_r.es10
    return [es10.function_for(tlv(tag, b"")) for tag in sorted(es10.tags())]


def es10_target() -> Callable[[bytes], None]:
    """Input: one byte choosing the function (in tag order), then the request's content."""
    state, trap = card_state(), error_trap()
    functions = es10_functions(state)
    challenge = tlv(0xBF2E, b"")

    def one(data: bytes) -> None:
        if not data:
            return
        function = functions[data[0] % len(functions)]
        response = None
        with state.rolled_back():
            if function.request_type == "AuthenticateServerRequest":
                state.isd_r.es10.execute(challenge)  # SGP.22 5.7.13: a session to answer in
            try:
                response = state.isd_r.es10.execute(tlv(function.tag, data[1:]))
            except SwError:
                pass
        trap.check()
        if response is not None:
            try:
                decode_exact(rsp(), function.response_type, response)
            except Asn1Error as exc:
                raise Finding(f"{function.name} answered what is no "
                              f"{function.response_type}: {exc}") from None

    return one


# -- the BPP stream (SGP.22 2.5.5, 5.7.6) -----------------------------------------------------
def cut_stream(data: bytes) -> tuple[bytes, list[bytes]]:
    """A BPP input: n = first byte mod 8, n 2-byte cut positions, then the stream."""
    count = data[0] % 8 if data else 0
    cuts, stream = data[1:1 + 2 * count], data[1 + 2 * count:]
    positions = sorted({int.from_bytes(cuts[i:i + 2], "big") % (len(stream) + 1)
                        for i in range(0, len(cuts) - 1, 2)})
    bounds = [0, *positions, len(stream)]
    return stream, [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def with_cuts(stream: bytes, positions: list[int]) -> bytes:
    positions = positions[:7]
    return bytes([len(positions)]) + b"".join(p.to_bytes(2, "big") for p in positions) + stream


def load_pieces(pieces: list[bytes]) -> tuple[list, object]:
    elements: list[BppEvent] = []
    stream = BppStream()
    try:
        for piece in pieces:
            for event in stream.feed(piece):
                elements.append(event)
    except BppFailure as failure:
        return elements, (failure.command, failure.reason)
    return elements, stream.done


def bpp_target() -> Callable[[bytes], None]:
    def one(data: bytes) -> None:
        stream, pieces = cut_stream(data)
        whole, cut = load_pieces([stream]), load_pieces(pieces)
        if whole != cut:
            raise Finding(f"cut at {[len(p) for p in pieces]} gives {cut[1]} after "
                          f"{len(cut[0])} elements, whole gives {whole[1]} after "
                          f"{len(whole[0])}")

    return one


# -- the Profile Package Interpreter, one element in the state of a package -----------------
END_ELEMENT = end_element(0x7FFE)


def _no_observer(_file: File) -> None:
    """FileTree.on_change of a context: a module-level function, so that it pickles."""


def ppi_contexts() -> tuple[list[bytes], list[str]]:
    """The interpreter after each prefix of the built package (pickled: unpickling copies
    a context several times faster than deepcopy), and the element kinds."""
    interpreter, contexts, kinds = ProfileInterpreter(), [], []
    for element in split(built_package()):
        if interpreter.image is not None:
            interpreter.image.tree.on_change = _no_observer
        contexts.append(pickle.dumps(interpreter, pickle.HIGHEST_PROTOCOL))
        kinds.append(decode_exact(pe(), "ProfileElement", element)[0])
        interpreter.feed(element)
    return contexts, kinds  # after the last element (the end) nothing may follow


def check_tree(tree: FileTree, secrets: list | None = None) -> None:
    """What the store keeps of a file tree gives the same files back, and every file has
    an FCP to answer SELECT with (TS 102 221 11.1.1.3)."""
    rows = file_rows(tree)
    again = image_from_rows(rows, secrets or [])
    if file_rows(again.tree) != rows:
        raise Finding("the image does not survive the store's rows")
    for f in again.tree.mf.walk():
        encode_fcp(f)
        if f.type == FileType.TRANSPARENT and len(f.body) != f.size:
            raise Finding(f"{f.label}: {len(f.body)} bytes in a {f.size}-byte EF")
        if f.type.is_record and (not f.record_length or len(f.body) % f.record_length):
            raise Finding(f"{f.label}: {len(f.body)} bytes in {f.record_length}-byte records")


def ppi_target() -> Callable[[bytes], None]:
    """Input: one byte choosing the prefix of the built package, then one element."""
    contexts, _ = ppi_contexts()

    def one(data: bytes) -> None:
        if not data:
            return
        element = data[1:]
        try:
            decode_exact(pe(), "ProfileElement", element)
        except Asn1Error:
            return  # feed answers invalid-request-format without touching its state
        interpreter = pickle.loads(contexts[data[0] % len(contexts)])
        try:
            interpreter.feed(element)
            if not interpreter.ended:
                interpreter.feed(END_ELEMENT)
            image = interpreter.finish()
        except PeError:
            return
        check_tree(image.tree, secret_rows(image))

    return one


# -- the FCP merge of template files (SAIP 8.3.2, TS 102 222 6.3) -----------------------------
def template_files() -> list:
    return [(t, ft) for _, t in sorted(TEMPLATES.items()) for ft in t.files
            if ft.type != FileType.MF]


def small_tree() -> tuple[FileTree, File]:
    """An MF with EF.ARR and EF.DIR and a DF: somewhere to create a file and to link to."""
    tree = FileTree(File(MF_FID, FileType.MF, name="MF"))
    for fid in (0x2F06, 0x2F00):
        tree.mf.add(File(fid, FileType.LINEAR_FIXED, size=64, record_length=32,
                         body=bytearray(b"\xff" * 64)))
    df = File(0x7F10, FileType.DF, name="DF.TELECOM")
    tree.mf.add(df)
    df.add(File(0x6F06, FileType.LINEAR_FIXED, size=32, record_length=16,
                body=bytearray(b"\xff" * 32)))
    df.add(File(0x6F3A, FileType.TRANSPARENT, size=20, body=bytearray(20)))
    return tree, df


def fcp_target() -> Callable[[bytes], None]:
    """Input: two bytes choosing a template file, then the DER of its SAIP ``File``."""
    files = template_files()

    def one(data: bytes) -> None:
        if len(data) < 2:
            return
        t, ft = files[int.from_bytes(data[:2], "big") % len(files)]
        try:
            commands = decode_exact(pe(), "File", data[2:])
        except Asn1Error:
            return
        tree, df = small_tree()
        parent = tree.mf if ft.type == FileType.ADF or len(t.base_path) == 1 else df
        try:
            create_template_file(tree, parent, ft, commands)
        except FileError:
            return
        check_tree(tree)

    return one


# -- vpcd framing (vsmartcard vpcd, shared/docs/vpcd.md) --------------------------------------
def expected_frames(data: bytes, atr: bytes) -> int:
    """How many frames the card owes for the stream ``data``: one per complete APDU frame
    and per ATR request."""
    count, offset = 0, 0
    while offset + 2 <= len(data):
        length = int.from_bytes(data[offset:offset + 2], "big")
        if offset + 2 + length > len(data):
            break
        payload = data[offset + 2:offset + 2 + length]
        count += length > 1 or payload == b"\x04"
        offset += 2 + length
    return count


def read_frames(data: bytes) -> list[bytes]:
    frames, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise Finding(f"half a length at {offset}")
        length = int.from_bytes(data[offset:offset + 2], "big")
        frames.append(data[offset + 2:offset + 2 + length])
        if offset + 2 + length > len(data):
            raise Finding(f"frame at {offset} announces {length} bytes")
        offset += 2 + length
    return frames


def vpcd_target() -> Callable[[bytes], None]:
    state, trap = card_state(), error_trap()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def one(data: bytes) -> None:
        reader = socket.create_connection(listener.getsockname())
        card_side, _ = listener.accept()
        with reader, card_side:
            reader.sendall(data)
            reader.shutdown(socket.SHUT_WR)
            with state.rolled_back():
                try:
                    serve_connection(card_side, state.card, stop)
                except PeerClosed:
                    pass
            card_side.shutdown(socket.SHUT_WR)
            answer = b"".join(iter(lambda: reader.recv(65536), b""))
        trap.check()
        frames = read_frames(answer)
        if len(frames) != expected_frames(data, state.card.atr):
            raise Finding(f"{len(frames)} frames for {expected_frames(data, state.card.atr)}")
        for frame in frames:
            if frame != state.card.atr:
                check_response(b"", frame)

    return one


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("apdu", "CommandApdu.parse: C-APDU cases 1-4, short and extended",
           apdu_target, 300),
    Target("transmit", "Card.transmit: APDU sequences on a card with two profiles",
           transmit_target, 4096),
    Target("es10", "each ES10 function's request through the ISD-R's table", es10_target,
           4096),
    Target("bpp", "the BPP stream splitter, the same package cut anywhere", bpp_target,
           20000),
    Target("ppi", "one profile element after each prefix of a built package", ppi_target,
           8192),
    Target("fcp", "a template file's SAIP File (FCP merge, fill, link)", fcp_target, 512),
    Target("vpcd", "the vpcd length framing and control bytes", vpcd_target, 2048),
)}
