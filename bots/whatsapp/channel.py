"""The WhatsApp ``ChatChannel``: renders neutral messages as Cloud API bodies (text, reply
buttons, list messages, the notification template) and sends them through the client."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from bots.channels import Capabilities, SendResult
from bots.messages import Button, Outbound, code_in
from bots.whatsapp.client import GraphClient
from forum.errors import N_
from forum.i18n import gettext

log = logging.getLogger(__name__)

MAX_BODY_WITH_BUTTONS = 1024  # interactive messages' body text
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20  # a reply button's title, and a list's opening button
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_TEMPLATE_PARAMETER = 900  # the template body is at most 1,024 characters with its own words

CAPABILITIES = Capabilities(
    max_menu_text=MAX_BODY_WITH_BUTTONS,
    max_choices=MAX_LIST_ROWS,
    reply_window=timedelta(hours=24),
    receipts=True,
)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def recipient(chat_id: str) -> dict[str, str]:
    """A phone number (wa_id) goes in ``to``; a business-scoped user id (``ID.123…``, for
    people who hide their number behind a username) in ``recipient``."""
    return {"to": chat_id} if chat_id.isdigit() else {"recipient": chat_id}


def _base(message: Outbound) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **recipient(message.chat_id),
    }
    if message.ref:
        body["biz_opaque_callback_data"] = message.ref
    return body


def _row(button: Button) -> dict[str, str]:
    row = {"id": button.data, "title": _cut(button.label, MAX_ROW_TITLE)}
    if len(button.label) > MAX_ROW_TITLE:
        row["description"] = _cut(button.label, MAX_ROW_DESCRIPTION)
    return row


def render(message: Outbound) -> dict[str, Any]:
    """Plain text; up to 3 short choices as reply buttons; more as a list message."""
    body = _base(message)
    choices = [b for row in message.buttons for b in row]
    if not choices:
        body.update(type="text", text={"body": message.text, "preview_url": False})
        return body
    text = {"text": _cut(message.text, MAX_BODY_WITH_BUTTONS)}
    labels = [b.label for b in choices]
    if (
        len(choices) <= MAX_REPLY_BUTTONS
        and all(len(label) <= MAX_BUTTON_TITLE for label in labels)
        and len(set(labels)) == len(labels)  # Meta refuses two buttons with one title
    ):
        action: dict[str, Any] = {
            "buttons": [
                {"type": "reply", "reply": {"id": b.data, "title": b.label}} for b in choices
            ]
        }
        body.update(
            type="interactive", interactive={"type": "button", "body": text, "action": action}
        )
        return body
    if len(choices) > MAX_LIST_ROWS:
        # The conversation sizes its menus to the channel's capabilities; this only guards.
        log.warning("menu of %s choices cut to %s", len(choices), MAX_LIST_ROWS)
        choices = choices[: MAX_LIST_ROWS - 1] + choices[-1:]
    opener = _cut(gettext(message.locale, N_("Choose")), MAX_BUTTON_TITLE)
    action = {"button": opener, "sections": [{"rows": [_row(b) for b in choices]}]}
    body.update(type="interactive", interactive={"type": "list", "body": text, "action": action})
    return body


def template_parameter(text: str) -> str:
    """Meta refuses template parameters with new lines, tabs or more than four spaces in a
    row; the notification becomes one paragraph."""
    flat = re.sub(r"\s+", " ", text).strip()
    return _cut(flat, MAX_TEMPLATE_PARAMETER) or "…"


class WhatsAppChannel:
    name = "whatsapp"
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: GraphClient,
        template: str,
        languages: dict[str, str],
        code_template: str = "rembug_kode_masuk",
    ) -> None:
        self.client = client
        self.template = template
        self.languages = languages  # our locale → the template's language code
        self.code_template = code_template  # the authentication template of sign-in codes

    async def send(self, message: Outbound) -> SendResult:
        return await self.client.send(render(message))

    async def fetch_media(self, ref: str, max_bytes: int) -> bytes:
        return await self.client.fetch_media(ref, max_bytes)

    def render_template(self, message: Outbound) -> dict[str, Any]:
        body = _base(message)
        language = self.languages.get(message.locale) or self.languages.get("id", "id")
        body.update(
            type="template",
            template={
                "name": self.template,
                "language": {"code": language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": template_parameter(message.text)}],
                    }
                ],
            },
        )
        return body

    async def send_template(self, message: Outbound) -> SendResult:
        return await self.client.send(self.render_template(message))

    def render_code_template(self, message: Outbound) -> dict[str, Any]:
        """An authentication template: the code as the body's parameter and as the copy-code
        button's (Meta's shape for one-time passwords; Meta adds the words around it)."""
        code = code_in(message.text)
        body = _base(message)
        language = self.languages.get(message.locale) or self.languages.get("id", "id")
        body.update(
            type="template",
            template={
                "name": self.code_template,
                "language": {"code": language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": code}]},
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": "0",
                        "parameters": [{"type": "text", "text": code}],
                    },
                ],
            },
        )
        return body

    async def send_code_template(self, message: Outbound) -> SendResult:
        return await self.client.send(self.render_code_template(message))

    async def aclose(self) -> None:
        await self.client.aclose()
