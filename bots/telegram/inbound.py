"""Telegram updates → neutral inbound messages (python-telegram-bot parses the JSON)."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from bots.messages import Inbound, Media

CHANNEL = "telegram"


def parse_update(data: dict[str, Any]) -> Update:
    return Update.de_json(data, None)


def media_of(message: Message) -> tuple[Media, ...]:
    """The photo (its largest size: Telegram sends several) or the document of a message."""
    if message.photo:
        largest = message.photo[-1]
        name = f"foto-{message.message_id}.jpg"
        return (Media(largest.file_id, "photo", name, largest.file_size),)
    if message.document is not None:
        document = message.document
        name = document.file_name or f"berkas-{message.message_id}"
        return (Media(document.file_id, "document", name, document.file_size),)
    return ()


def to_inbound(update: Update) -> Inbound | None:
    """The inbound message of an update, or None for kinds the conversation ignores (edited
    messages, inline queries, polls, anything new)."""
    if update.callback_query is not None:
        query = update.callback_query
        user = query.from_user
        chat = query.message.chat if query.message is not None else None
        return Inbound(
            channel=CHANNEL,
            user_id=str(user.id),
            chat_id=str(chat.id if chat is not None else user.id),
            payload=query.data or "",
            language_code=user.language_code or "",
            message_id=str(query.id),
            display_name=user.full_name,
        )
    if update.message is not None and update.message.from_user is not None:
        message = update.message
        sender = message.from_user
        assert sender is not None
        if message.chat.type != "private":
            return None  # the bot talks with one person at a time, never in groups
        return Inbound(
            channel=CHANNEL,
            user_id=str(sender.id),
            chat_id=str(message.chat.id),
            text=message.text or message.caption or "",
            language_code=sender.language_code or "",
            message_id=str(message.message_id),
            display_name=sender.full_name,
            media=media_of(message),
        )
    if update.my_chat_member is not None and update.my_chat_member.chat.type == "private":
        member = update.my_chat_member
        status = member.new_chat_member.status
        if status not in ("kicked", "member"):
            return None
        return Inbound(
            channel=CHANNEL,
            user_id=str(member.from_user.id),
            chat_id=str(member.chat.id),
            language_code=member.from_user.language_code or "",
            display_name=member.from_user.full_name,
            event="blocked" if status == "kicked" else "unblocked",
        )
    return None


def chat_key(data: dict[str, Any]) -> str:
    """The chat an update belongs to, read from the raw JSON without full parsing (the webhook
    stores it so one chat's updates are processed in order)."""
    for kind in ("message", "edited_message", "my_chat_member"):
        chat = (data.get(kind) or {}).get("chat") or {}
        if isinstance(chat, dict) and "id" in chat:
            return str(chat["id"])[:64]
    sender = (data.get("callback_query") or {}).get("from") or {}
    if isinstance(sender, dict) and "id" in sender:
        return str(sender["id"])[:64]
    return ""
