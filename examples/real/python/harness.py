"""The lockstep harness of the Python chat client: the control loop of
docs/real-socket-mode.md around chat_app.ChatApp, standard library only.

    lockstep check --real --client-cmd "python3 examples/real/python/harness.py" --scenario chat/tc1-normal-websocket-flow --profile real-time

It reads LOCKSTEP_BASE_URL, LOCKSTEP_WS_URL, LOCKSTEP_TOKEN, LOCKSTEP_CONTROL_URL and
LOCKSTEP_NODE, asks the control endpoint what its user does next, reports each action
(with what the user sees right after it) before the network sees what the action
started, reports what the user sees whenever it changes, and exits when the run is done.
"""

import asyncio
import json
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ beside the example
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chat_app import ChatApp  # noqa: E402
from minihttp import HttpError, request  # noqa: E402


class Env:
    """What the app may touch: the URLs, its token and node, storage that survives a restart, the I/O gate."""

    def __init__(self):
        self.base_url = os.environ["LOCKSTEP_BASE_URL"]
        self.ws_url = os.environ["LOCKSTEP_WS_URL"]
        self.token = os.environ["LOCKSTEP_TOKEN"]
        self.node = os.environ.get("LOCKSTEP_NODE", "c1")
        self.storage = {}
        self.open_gate = asyncio.Event()
        self.open_gate.set()
        self.dirty = asyncio.Event()

    async def gate(self):
        """Network work started by an action waits here until the action is reported."""
        await self.open_gate.wait()

    def changed(self):
        self.dirty.set()


class Ended(Exception):
    """A report arrived after the run ended (409 ended): nothing more to do."""


async def control(method, name, body=None, query=""):
    url = f"{os.environ['LOCKSTEP_CONTROL_URL']}/{name}{query}"
    r = await request(method, url, os.environ["LOCKSTEP_TOKEN"], body, timeout=30)
    if r.status == 409 and b'"ended"' in r.body:
        raise Ended()
    if r.status >= 400:
        raise RuntimeError(f"{method} {name}: {r.status} {r.body.decode('utf-8', 'replace')}")
    return r.json() if r.body else None


async def main():
    env = Env()
    app = ChatApp(env)
    try:
        await run(env, app)
    except Ended:
        pass
    env.app.dispose()


async def run(env, app):
    env.app = app
    reported = None
    while True:
        try:
            answer = await control("GET", "next-action", query="?wait=100")
        except (HttpError, RuntimeError) as e:
            print(f"harness: {e}", file=sys.stderr)
            await asyncio.sleep(0.2)
            continue
        if answer["done"]:
            break
        if not answer["started"]:
            continue
        if reported is None:  # what the user sees at launch
            reported = app.snapshot()
            await control("POST", "snapshot", {"state": reported})
        for action in answer["actions"]:
            env.open_gate.clear()  # hold what the action starts on the network
            what, args = action["do"], action["args"]
            if what == "restart":
                app.dispose()  # the app is killed; storage survives
                app = env.app = ChatApp(env)
            elif what == "openConversation":
                app.open_conversation(args["conversation"])
            elif what == "closeConversation":
                app.close_conversation()
            elif what == "send":
                app.send(args["text"])
            await asyncio.sleep(0.01)  # what the action ended (a socket's close) leaves first
            state = app.snapshot()
            await control("POST", "action", {"id": action["id"], "do": what, "args": args, "state": state})
            reported = state
            env.open_gate.set()
        state = app.snapshot()
        if state != reported:
            env.dirty.clear()
            await control("POST", "snapshot", {"state": state})
            reported = state


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
