"""What the Telegram benchmarks share: a free loopback port, a fake Bot API that accepts
everything (the bot's replies go there, never to Telegram), and updates shaped like
Telegram's."""

from __future__ import annotations

import itertools
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_bot_api() -> str:
    """Start a Bot API on a free loopback port in a thread; returns its base URL."""
    ids = itertools.count(1)

    async def endpoint(request: Request) -> Response:
        method = request.path_params["method"]
        try:
            form = await request.form()
        except ClientDisconnect:  # a bot killed mid-request (burst.py --kill-at)
            return Response(status_code=499)
        result: object = True
        if method == "getMe":
            result = {"id": 7000000001, "is_bot": True, "first_name": "Rembug", "username": "R"}
        elif method in ("sendMessage", "editMessageText"):
            result = {
                "message_id": next(ids),
                "date": int(time.time()),
                "chat": {"id": int(str(form.get("chat_id") or 0)), "type": "private"},
            }
        return JSONResponse({"ok": True, "result": result})

    port = free_port()
    app = Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["POST", "GET"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}"


def tg_update(
    update_id: int, user: int, *, text: str | None = None, data: str | None = None
) -> dict:
    """A private-chat message (``text``) or an inline-button press (``data``) from ``user``."""
    person = {"id": user, "is_bot": False, "first_name": f"Warga {user}", "language_code": "id"}
    chat = {"id": user, "first_name": f"Warga {user}", "type": "private"}
    if data is not None:
        message = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "menu"}
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": person,
                "message": message,
                "chat_instance": "1",
                "data": data,
            },
        }
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": person,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        },
    }
