"""Minimal asyncio HTTP/1.1 and WebSocket (RFC 6455) clients, standard library only.

Just enough for a lockstep real-socket harness: one request per connection
(`Connection: close`, so no pooled connection is ever reused and nothing is retried behind
the app's back), JSON bodies, timeouts through `asyncio.wait_for`, and a WebSocket client
that sends masked text frames, answers pings, and reports how the connection ended.
"""

import asyncio
import base64
import json
import os
import struct
from urllib.parse import urlsplit


class HttpError(Exception):
    """The request failed on the network (refused, reset, closed before the answer, timed out)."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


async def _read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def request(method, url, token=None, body=None, timeout=10.0):
    """One HTTP request; returns a Response or raises HttpError. Never retried."""
    u = urlsplit(url)
    target = u.path + ("?" + u.query if u.query else "")
    data = b"" if body is None else json.dumps(body).encode("utf-8")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {u.netloc}", "Connection: close", f"Content-Length: {len(data)}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines.append("Content-Type: application/json")
    writer = None

    async def go():
        nonlocal writer
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()
        status, headers = await _read_head(reader)
        if "content-length" in headers:
            payload = await reader.readexactly(int(headers["content-length"]))
        else:
            payload = await reader.read()
        return Response(status, headers, payload)

    try:
        return await asyncio.wait_for(go(), timeout)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError, IndexError) as e:
        raise HttpError(f"{method} {url}: {type(e).__name__} {e}") from None
    finally:
        if writer is not None:
            writer.close()


class WebSocket:
    """A client WebSocket. Callbacks: on_open(), on_message(text), on_close(code, reason)."""

    def __init__(self, url, on_open, on_message, on_close):
        self.url = url
        self.on_open = on_open
        self.on_message = on_message
        self.on_close = on_close
        self.open = False
        self._writer = None
        self._closed = False
        self._close_sent = False
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        code, reason = 1006, ""
        try:
            u = urlsplit(self.url)
            reader, self._writer = await asyncio.wait_for(asyncio.open_connection(u.hostname, u.port), 30)
            key = base64.b64encode(os.urandom(16)).decode()
            target = u.path + ("?" + u.query if u.query else "")
            self._writer.write(
                (
                    f"GET {target} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                ).encode("latin-1")
            )
            status, _ = await asyncio.wait_for(_read_head(reader), 30)
            if status != 101:
                return  # a refused upgrade: what a browser reports as 1006
            self.open = True
            if not self._closed:
                self.on_open()
            while True:
                b1, b2 = await reader.readexactly(2)
                op, n = b1 & 0x0F, b2 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await reader.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await reader.readexactly(8))
                payload = await reader.readexactly(n)
                if op == 0x1:
                    if not self._closed:
                        self.on_message(payload.decode("utf-8"))
                elif op == 0x9:
                    self._frame(0xA, payload)
                elif op == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    reason = payload[2:].decode("utf-8", "replace")
                    if not self._close_sent:
                        self._frame(0x8, payload[:2])  # echo
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self.open = False
            if self._writer is not None:
                self._writer.close()
            if not self._closed:
                self._closed = True
                self.on_close(code, reason)

    def _frame(self, op, payload):
        if self._writer is None or self._writer.is_closing():
            return
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self._writer.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, text):
        if self.open and not self._close_sent:
            self._frame(0x1, text.encode("utf-8"))

    def close(self, code=1000, wait=5.0):
        """Starts the closing handshake; the app is done with the socket at once (no more callbacks).
        The TCP connection is dropped if the server has not answered within `wait` seconds."""
        if self._closed:
            return
        self._closed = True
        if self.open:
            self._close_sent = True
            self._frame(0x8, struct.pack("!H", code))
            asyncio.get_event_loop().call_later(wait, self.abort)
        else:
            self.abort()

    def abort(self):
        """Drops the connection without a closing handshake (the app was killed)."""
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        self.task.cancel()
