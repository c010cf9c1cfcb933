"""A small SIP2 server on 127.0.0.1 for the tests: it speaks the real message format
(93/94 login, 23/24 patron status, 63/64 patron information, AY sequence, AZ checksum
on the bytes) over TCP, in the dialect the test sets.

`mode` changes its behaviour: "normal", "silent" (never answers), "garbage" (answers
nonsense), "bad_checksum", "refuse_login". `charset`, `line_ending`, `checksums`
("on", "off") and `send_cq` play a library system's habits; `canned[card]` is a raw
answer sent for that card (a message from the field), its sequence number and
checksum rewritten only when its checksum was right.
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field

from boite.patrons.identity.sip2 import checksum_bytes, parse_fields


@dataclass
class Card:
    pin: str
    name: str
    expires: str  # YYYYMMDD
    library: str = ""
    blocked: bool = False  # charge privileges denied
    status: str = ""  # the 14 patron-status positions, when the test sets them
    expiry_field: str = "PA"
    fees: str = ""  # BV


@dataclass
class ServerState:
    cards: dict[str, Card] = field(default_factory=dict)
    canned: dict[str, bytes] = field(default_factory=dict)
    canned_login: bytes = b""  # a raw 94 answer to the SC login, when set
    login_user: str = "boite"
    login_password: str = "secret"
    institution: str = "CALVADOS"
    mode: str = "normal"
    charset: str = "utf-8"
    line_ending: bytes = b"\r"
    checksums: str = "on"
    send_cq: bool = True
    received: list[str] = field(default_factory=list)
    connections: int = 0  # how many times a client connected
    open_sockets: list = field(default_factory=list)

    def drop_connections(self) -> None:
        """Hang up on every client, as an ILS that restarts."""
        for sock in self.open_sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)


_TRAILER = re.compile(rb"AY(\d)AZ([0-9A-Fa-f]{4})$")


def _with_trailer(body: bytes, sequence: str) -> bytes:
    head = body + b"AY" + sequence.encode() + b"AZ"
    return head + checksum_bytes(head).encode()


def _resequenced(raw: bytes, sequence: str) -> bytes:
    """A field message answered under our sequence number, when its checksum was right."""
    match = _TRAILER.search(raw)
    if match and checksum_bytes(raw[: match.start(2)]) == match.group(2).upper().decode():
        return _with_trailer(raw[: match.start()], sequence)
    return raw


class _Handler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        state: ServerState = self.server.state
        state.connections += 1
        state.open_sockets.append(self.request)
        buffer = b""
        while True:
            while b"\r" not in buffer:
                try:
                    chunk = self.request.recv(1024)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
            line, _sep, buffer = buffer.partition(b"\r")
            message = line.decode(state.charset, "replace")
            state.received.append(message)
            if state.mode == "silent":
                continue
            if state.mode == "garbage":
                self.wfile.write(b"\x00\xffHELLO|||nonsense\r")
                continue
            match = _TRAILER.search(line)
            if match is None or checksum_bytes(line[: match.start(2)]) != match.group(
                2
            ).upper().decode("ascii"):
                self.wfile.write(b"96AZFEF6\r")  # request SC resend
                continue
            sequence = match.group(1).decode()
            body = line[: match.start()].decode(state.charset)
            card = parse_fields(body[23:]).get("AA", "") if body[:2] in {"23", "63"} else ""
            if body.startswith("93") and state.canned_login:
                self.wfile.write(_resequenced(state.canned_login, sequence) + state.line_ending)
                continue
            if card in state.canned:
                self.wfile.write(_resequenced(state.canned[card], sequence) + state.line_ending)
                continue
            answer = self._respond(state, body).encode(state.charset)
            text = answer if state.checksums == "off" else _with_trailer(answer, sequence)
            if state.mode == "bad_checksum":
                text = text[:-4] + (b"0000" if text[-4:] != b"0000" else b"0001")
            self.wfile.write(text + state.line_ending)

    def _respond(self, state: ServerState, body: str) -> str:
        if body.startswith("93"):
            fields = parse_fields(body[4:])
            ok = (
                state.mode != "refuse_login"
                and fields.get("CN") == state.login_user
                and fields.get("CO") == state.login_password
            )
            return "94" + ("1" if ok else "0")
        if body[:2] in {"23", "63"}:
            information = body.startswith("63")
            fields = parse_fields(body[33:] if information else body[23:])
            card_number = fields.get("AA", "")
            card = state.cards.get(card_number)
            if card and card.status:
                status = card.status.ljust(14)[:14]
            else:
                status = ("Y" if card and card.blocked else " ") + " " * 13
            date = "20260101    120000"
            parts = [f"AO{state.institution}", f"AA{card_number}"]
            if card:
                parts += [f"AE{card.name}", "BLY"]
                if state.send_cq:
                    parts.append("CQ" + ("Y" if fields.get("AD") == card.pin else "N"))
                if card.expires:
                    parts.append(f"{card.expiry_field}{card.expires}")
                if card.library:
                    parts.append(f"AQ{card.library}")
                if card.fees:
                    parts.append(f"BV{card.fees}")
            else:
                parts += ["AE", "BLN", "CQN"]
            head = "64" if information else "24"
            counts = "0000" * 6 if information else ""
            return head + status + "000" + date + counts + "|".join(parts) + "|"
        return "96"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls_context = None

    def get_request(self):
        sock, address = super().get_request()
        if self.tls_context is not None:
            sock = self.tls_context.wrap_socket(sock, server_side=True)
        return sock, address


class Sip2TestServer:
    def __init__(self, tls_context=None) -> None:
        self.state = ServerState()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = self.state
        self.server.tls_context = tls_context
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Sip2TestServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
