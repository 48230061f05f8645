"""A small HTTP/1.1 server on asyncio streams and h11: keep-alive, one request at a time
per connection, many connections at once. It knows nothing of the APIs it serves: a
handler turns a ``Request`` into a ``Response`` (or ``DROP`` to close without a reply), and
an optional ``accept(open_connections)`` says whether a new connection is served or reset
at once (RST, as a server with a full accept queue and ``tcp_abort_on_overflow`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11

MAX_BODY_BYTES = 16 * 1024 * 1024
_READ_SIZE = 65536


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"


DROP = Response(status=0)  # sentinel: close the connection without replying


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, headers or [])


Handler = Callable[[Request], Awaitable[Response]]
Acceptor = Callable[[int], bool]


class HttpServer:
    """Serves ``handler`` on a listening socket; ``close`` also cuts open connections."""

    def __init__(self, handler: Handler, accept: Acceptor | None = None):
        self._handler = handler
        self._accept = accept
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._on_connection, host, port, backlog=1024,
                                                  reuse_address=True)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if self._accept is not None and not self._accept(len(self._connections)):
            _reset(writer)
            return
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # only close() cancels connections: end quietly
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        while True:
            request = await _read_request(conn, reader)
            if request is None:
                return
            response = await self._respond(request)
            if response is DROP:
                return
            writer.write(_encode(conn, response))
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()


    async def _respond(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a handler must not take the connection down silently
            return json_response(500, {"error": {"message": f"simulator error: {type(exc).__name__}: {exc}",
                                                 "type": "simulator_error"}})


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> Request | None:
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(_READ_SIZE))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY_BYTES:
                raise h11.RemoteProtocolError("request body too large")
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            return _make_request(head, bytes(body))
        elif isinstance(event, (h11.ConnectionClosed, h11.EndOfMessage)) or event is h11.PAUSED:
            return None


def _make_request(head: h11.Request, body: bytes) -> Request:
    headers: dict[str, str] = {}
    for name, value in head.headers:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return Request(head.method.decode("ascii"), head.target.decode("latin-1"), headers, body)


def _encode(conn: h11.Connection, response: Response) -> bytes:
    headers = [("content-type", response.content_type), ("content-length", str(len(response.body))),
               *response.headers]
    head = h11.Response(status_code=response.status, headers=headers, reason=_reason(response.status))
    data = conn.send(head) or b""
    data += conn.send(h11.Data(data=response.body)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    return data


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Quota Exceeded" if status == 456 else b""
