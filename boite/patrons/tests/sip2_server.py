"""A small SIP2 server on 127.0.0.1 for the tests: it speaks the real message format
(93/94 login, 23/24 patron status, AY sequence, AZ checksum) over TCP.

`mode` changes its behaviour: "normal", "silent" (never answers), "garbage" (answers
nonsense), "bad_checksum", "refuse_login".
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from dataclasses import dataclass, field

from boite.patrons.identity.sip2 import checksum, parse_fields, verify


@dataclass
class Card:
    pin: str
    name: str
    expires: str  # YYYYMMDD
    library: str = ""
    blocked: bool = False


@dataclass
class ServerState:
    cards: dict[str, Card] = field(default_factory=dict)
    login_user: str = "boite"
    login_password: str = "secret"
    institution: str = "CALVADOS"
    mode: str = "normal"
    received: list[str] = field(default_factory=list)
    connections: int = 0  # how many times a client connected
    open_sockets: list = field(default_factory=list)

    def drop_connections(self) -> None:
        """Hang up on every client, as an ILS that restarts."""
        for sock in self.open_sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)


def _answer(body: str, sequence: str) -> str:
    head = f"{body}AY{sequence}AZ"
    return head + checksum(head)


class _Handler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        state: ServerState = self.server.state
        state.connections += 1
        state.open_sockets.append(self.request)
        buffer = b""
        while True:
            # SIP2 messages end with a carriage return (not a newline).
            while b"\r" not in buffer:
                try:
                    chunk = self.request.recv(1024)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
            line, _sep, buffer = buffer.partition(b"\r")
            message = line.decode("utf-8").strip("\r\n")
            state.received.append(message)
            if state.mode == "silent":
                continue
            if state.mode == "garbage":
                self.wfile.write(b"\x00\xffHELLO|||nonsense\r")
                continue
            try:
                sequence = message.split("AY")[-1][0]
                body = verify(message)
            except Exception:
                self.wfile.write(b"96AZFEF6\r")  # request SC resend
                continue
            answer = self._respond(state, body)
            text = _answer(answer, sequence)
            if state.mode == "bad_checksum":
                text = text[:-4] + ("0000" if text[-4:] != "0000" else "0001")
            self.wfile.write(text.encode("utf-8") + b"\r")

    def _respond(self, state: ServerState, body: str) -> str:
        if body.startswith("93"):
            fields = parse_fields(body[4:])
            ok = (
                state.mode != "refuse_login"
                and fields.get("CN") == state.login_user
                and fields.get("CO") == state.login_password
            )
            return "94" + ("1" if ok else "0")
        if body.startswith("23"):
            fields = parse_fields(body[23:])
            card_number = fields.get("AA", "")
            card = state.cards.get(card_number)
            status = ("Y" if card and card.blocked else " ") + " " * 13
            date = "20260101    120000"
            parts = [f"AO{state.institution}", f"AA{card_number}"]
            if card:
                parts += [
                    f"AE{card.name}",
                    "BLY",
                    "CQ" + ("Y" if fields.get("AD") == card.pin else "N"),
                    f"PA{card.expires}",
                ]
                if card.library:
                    parts.append(f"AQ{card.library}")
            else:
                parts += ["AE", "BLN", "CQN"]
            return "24" + status + "000" + date + "|".join(parts) + "|"
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
