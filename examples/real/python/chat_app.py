"""A small chat client, written from docs/protocols/chat.md: one WebSocket per open
conversation, the REST polling fallback while it is down, reconnects with backoff, a
heartbeat, an outbox kept in storage, and what the user sees as a chat snapshot.

Everything runs on one asyncio loop. Work that goes on the network first awaits
`env.gate()`, so that the harness can report an action before the network sees what the
action started (docs/real-socket-mode.md, "The loop a client runs").
"""

import asyncio
import json
import time
from datetime import datetime, timezone
from urllib.parse import quote

from minihttp import HttpError, WebSocket, request

BACKOFF = [2, 4, 8, 16, 32]  # s, after the 1st ... 5th consecutive failure
PING_EVERY, PONG_WITHIN = 15.0, 5.0
OUTBOX_RETRY = 3.0
GET_TIMEOUT, POST_TIMEOUT = 5.0, 10.0


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ChatApp:
    def __init__(self, env):
        self.env = env
        self.conversation = None
        self.messages = {}  # server id -> ChatMessage
        self.session = 0  # bumps on every open/close: late answers of an older session are ignored
        self.ws = None
        self.connection = "idle"
        self.failures = 0
        self.polling = False
        self.auth_error = False
        self.last_send = None
        self.tasks = set()
        self.reconnect_timer = None
        self.heartbeat = None
        self.catchup_retry = None
        self.outbox_busy = False
        self.counter = int(env.storage.get("counter", "0"))
        # The outbox survives an app restart: send what the last run left.
        self.spawn(self.flush_outbox())

    # ---- the user's actions ---------------------------------------------------------------

    def open_conversation(self, conversation):
        self.auth_error = False
        self.leave()
        self.conversation = conversation
        self.session += 1
        self.failures = 0
        self.connect()
        self.spawn(self.catch_up(self.session, 0))
        self.spawn(self.flush_outbox())
        self.env.changed()

    def close_conversation(self):
        if self.conversation is None:
            return
        self.leave()
        self.session += 1
        self.env.changed()

    def send(self, text):
        if self.conversation is None:
            return
        resumed = self.auth_error
        self.auth_error = False
        self.counter += 1
        self.env.storage["counter"] = str(self.counter)
        cmid = f"{self.env.node}-{self.counter}"
        entry = {"conversation": self.conversation, "content": text, "clientMessageId": cmid, "timestamp": now_iso()}
        self.env.storage["outbox"] = json.dumps(self.outbox() + [entry])
        self.last_send = time.monotonic()
        self.spawn(self.flush_outbox())
        if resumed and self.ws is None:
            self.failures = 0  # the user acted after an auth error: try the socket again
            self.connect()
        elif self.polling:
            self.restart_polling()  # the interval just shrank to 2 s
        self.env.changed()

    def dispose(self):
        """The app is killed: its sockets and requests die with it (no close frames)."""
        for t in list(self.tasks):
            t.cancel()
        for h in (self.reconnect_timer, self.heartbeat, self.catchup_retry):
            if h:
                h.cancel()
        if self.ws:
            self.ws.abort()

    # ---- what the user sees ---------------------------------------------------------------

    def snapshot(self):
        shown = [m for m in self.messages.values() if m["conversationId"] == self.conversation]
        acked = {m.get("clientMessageId") for m in shown}
        pending = [e for e in self.outbox() if e["conversation"] == self.conversation and e["clientMessageId"] not in acked]
        entries = [
            {k: m[k] for k in ("id", "role", "content", "timestamp", "clientMessageId") if k in m} for m in shown
        ] + [
            {"id": f"local:{e['clientMessageId']}", "role": "user", "content": e["content"], "timestamp": e["timestamp"],
             "clientMessageId": e["clientMessageId"], "pending": True}
            for e in pending
        ]
        entries.sort(key=lambda m: m["timestamp"])
        return {
            "conversation": self.conversation,
            "messages": entries if self.conversation is not None else [],
            "connection": self.connection,
            "polling": self.polling,
            "outbox": len(self.outbox()),
            "authError": self.auth_error,
        }

    # ---- plumbing ---------------------------------------------------------------------------

    def spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
        return t

    def outbox(self):
        return json.loads(self.env.storage.get("outbox", "[]"))

    def store(self, m):
        if m["id"] not in self.messages:
            self.messages[m["id"]] = m
            self.env.changed()

    def leave(self):
        """Ends the open conversation's session: its socket, polling, retries and list."""
        for h in (self.reconnect_timer, self.heartbeat, self.catchup_retry):
            if h:
                h.cancel()
        self.reconnect_timer = self.heartbeat = self.catchup_retry = None
        self.stop_polling()
        if self.ws:
            self.ws.close(1000)
            self.ws = None
        self.conversation = None
        self.messages = {}
        self.connection = "idle"

    def go_auth_error(self):
        """A 401 (or a 4001 close): stop polling, reconnecting and sending until the user acts."""
        self.auth_error = True
        self.stop_polling()
        for h in (self.reconnect_timer, self.heartbeat, self.catchup_retry):
            if h:
                h.cancel()
        if self.ws:
            self.ws.close(1000)
            self.ws = None
        if self.conversation is not None:
            self.connection = "closed"
        self.env.changed()

    def path(self, conversation):
        return f"/api/v1/consultations/{quote(conversation, safe='')}"

    # ---- the socket -------------------------------------------------------------------------

    def connect(self):
        session, conversation = self.session, self.conversation
        self.connection = "connecting"

        async def go():
            await self.env.gate()
            if session != self.session or self.auth_error:
                return
            url = f"{self.env.ws_url}{self.path(conversation)}/ws?token={quote(self.env.token, safe='')}"
            holder = {}

            def on_open():
                if self.ws is not holder["ws"]:
                    return
                self.connection = "open"
                self.failures = 0
                self.stop_polling()
                self.beat()
                self.spawn(self.catch_up(session, 0))
                self.env.changed()

            def on_message(text):
                if self.ws is not holder["ws"]:
                    return
                self.beat()
                try:
                    frame = json.loads(text)
                except ValueError:
                    return
                if frame.get("type") == "message" and frame.get("message", {}).get("conversationId") == conversation:
                    self.acknowledge(frame["message"])

            def on_close(code, _reason):
                if self.ws is not holder["ws"]:
                    return
                self.ws = None
                if code == 4001:
                    return self.go_auth_error()
                self.socket_failed()

            self.ws = holder["ws"] = WebSocket(url, on_open, on_message, on_close)

        self.spawn(go())

    def beat(self):
        """A frame arrived (or the socket opened): the next ping is due in 15 s."""
        if self.heartbeat:
            self.heartbeat.cancel()
        loop = asyncio.get_event_loop()
        ws = self.ws

        def ping():
            if self.ws is not ws:
                return
            self.spawn(self.send_frame(ws, '{"type":"ping"}'))
            self.heartbeat = loop.call_later(PONG_WITHIN, silent)

        def silent():
            if self.ws is not ws:
                return
            # No frame within 5 s of the ping: the socket is half-open. Abandon it now.
            self.ws = None
            ws.close(4000)
            self.socket_failed()

        self.heartbeat = loop.call_later(PING_EVERY, ping)

    async def send_frame(self, ws, text):
        await self.env.gate()
        ws.send(text)

    def socket_failed(self):
        """The socket failed to connect, closed or went silent while its conversation stays open."""
        if self.heartbeat:
            self.heartbeat.cancel()
            self.heartbeat = None
        self.connection = "closed"
        if not self.polling:
            self.start_polling()
        self.failures += 1
        if self.failures <= len(BACKOFF):
            session = self.session

            def again():
                if session == self.session and not self.auth_error and self.ws is None:
                    self.connect()
                    self.env.changed()

            self.reconnect_timer = asyncio.get_event_loop().call_later(BACKOFF[self.failures - 1], again)
        self.env.changed()

    # ---- REST: catch-up loads, polling, the outbox ----------------------------------------------

    async def load(self, session):
        """GET the open conversation's messages; True on a 2xx."""
        await self.env.gate()
        if session != self.session or self.auth_error:
            return True
        conversation = self.conversation
        try:
            r = await request("GET", f"{self.env.base_url}{self.path(conversation)}/messages", self.env.token, timeout=GET_TIMEOUT)
        except HttpError:
            return False
        if session != self.session:
            return True  # a late answer of a conversation the user left
        if r.status == 401:
            self.go_auth_error()
            return True
        if r.status // 100 != 2:
            return False
        try:
            for m in r.json()["messages"]:
                self.acknowledge(m)
        except (ValueError, KeyError, TypeError):
            return False  # a body it cannot use (a captive portal's page, a cut-off answer)
        return True

    async def catch_up(self, session, attempt):
        """A catch-up load; a failed one is retried after 2, 4, 8, 16, 32 s, then every 32 s, unless polling covers it."""
        if await self.load(session) or self.polling or session != self.session:
            return
        delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]

        def retry():
            if session == self.session and not self.polling and not self.auth_error:
                self.spawn(self.catch_up(session, attempt + 1))

        if self.catchup_retry:
            self.catchup_retry.cancel()
        self.catchup_retry = asyncio.get_event_loop().call_later(delay, retry)

    def interval(self):
        if self.last_send is not None:
            since = time.monotonic() - self.last_send
            if since < 30:
                return 2.0
            if since < 300:
                return 5.0
        return 10.0

    def start_polling(self):
        self.polling = True
        if self.catchup_retry:
            self.catchup_retry.cancel()
            self.catchup_retry = None
        self.poll_task = self.spawn(self.poll_loop(self.session, first=0.0))

    def restart_polling(self):
        self.poll_task.cancel()
        self.poll_task = self.spawn(self.poll_loop(self.session, first=self.interval()))

    def stop_polling(self):
        if self.polling:
            self.polling = False
            self.poll_task.cancel()

    async def poll_loop(self, session, first):
        """One loop: a poll, then the next one an interval after it ended, through failures."""
        await asyncio.sleep(first)
        while self.polling and session == self.session and not self.auth_error:
            await self.load(session)
            await asyncio.sleep(self.interval())

    async def flush_outbox(self):
        """Sends the outbox, oldest first, one entry at a time, each until the server stored it."""
        if self.outbox_busy:
            return
        self.outbox_busy = True
        try:
            while not self.auth_error:
                box = self.outbox()
                if not box:
                    return
                e = box[0]
                await self.env.gate()
                try:
                    r = await request(
                        "POST",
                        f"{self.env.base_url}{self.path(e['conversation'])}/messages",
                        self.env.token,
                        {"content": e["content"], "clientMessageId": e["clientMessageId"]},
                        timeout=POST_TIMEOUT,
                    )
                    status = r.status
                except HttpError:
                    status = 0
                if status == 401:
                    return self.go_auth_error()
                if status in (200, 201):
                    try:
                        m = r.json()["message"]
                    except (ValueError, KeyError, TypeError):
                        m = None  # stored, but the answer was cut off: the socket or a load brings it
                    self.done_sending(e["clientMessageId"])
                    if m and m.get("conversationId") == self.conversation:
                        self.acknowledge(m)
                    continue
                if 400 <= status < 500 and status not in (408, 429):
                    self.done_sending(e["clientMessageId"])  # permanent: the server will never store it
                    continue
                await asyncio.sleep(OUTBOX_RETRY)  # transient: network error, timeout, 408, 429, 5xx
        finally:
            self.outbox_busy = False

    def done_sending(self, cmid):
        self.env.storage["outbox"] = json.dumps([x for x in self.outbox() if x["clientMessageId"] != cmid])
        self.env.changed()

    def acknowledge(self, m):
        """A stored message: shown once, replacing the optimistic entry of the same send."""
        if m.get("conversationId") != self.conversation:
            return
        cmid = m.get("clientMessageId")
        if cmid and any(x["clientMessageId"] == cmid for x in self.outbox()):
            self.done_sending(cmid)
        self.store(m)
