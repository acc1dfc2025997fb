"""Telegram Desktop's JSON export (``result.json``): one chat, or a whole account.

Read with the standard ``json`` module; the shape is the project's concern: a message's
``text`` is a string or a list of strings and entities, its time is ``date_unixtime`` (UTC)
or only ``date`` (the exporting computer's clock), and an account export nests its chats
under ``chats.list`` and ``left_chats.list``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from openwitness.screening import ChatExportError, ChatMessage, ParsedChat

#: keys that mean a message carries a file, and the media types Telegram names
_FILE_KEYS = ("photo", "file")
_MEDIA_TYPES = {
    "sticker",
    "voice_message",
    "video_message",
    "video_file",
    "audio_file",
    "animation",
}


def looks_like_telegram(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def parse_telegram(text: str, name: str) -> ParsedChat:
    """Every message of every chat in the export, chat by chat in file order."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ChatExportError(
            name, f"is not valid JSON ({error.msg}, column {error.colno})", error.lineno
        ) from None
    if not isinstance(document, dict):
        raise ChatExportError(name, "is JSON but not a Telegram export (no 'messages')")
    chats = _chats(document, name)
    messages: list[ChatMessage] = []
    local_dates = 0
    for chat in chats:
        chat_name = chat.get("name") if isinstance(chat.get("name"), str) else None
        raw = chat.get("messages")
        if not isinstance(raw, list):
            raise ChatExportError(
                name, f"chat {chat_name or '(unnamed)'}: 'messages' is not a list"
            )
        for index, item in enumerate(raw):
            message, local = _message(item, chat_name, name, index)
            messages.append(message)
            local_dates += local
    notes = []
    if local_dates:
        notes.append(
            f"{local_dates:,} message(s) carry only 'date', which is the exporting computer's "
            "local time, not UTC; those times are as written"
        )
    return ParsedChat(messages=messages, format="telegram", notes=notes)


def _chats(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if "messages" in document:
        return [document]
    found: list[dict[str, Any]] = []
    for section in ("chats", "left_chats"):
        part = document.get(section)
        listed = part.get("list") if isinstance(part, dict) else None
        if isinstance(listed, list):
            found.extend(chat for chat in listed if isinstance(chat, dict))
    if not found and not any(isinstance(document.get(s), dict) for s in ("chats", "left_chats")):
        raise ChatExportError(
            name,
            "is JSON but not a Telegram Desktop export: it has neither 'messages' (one chat) "
            "nor 'chats.list' (a whole account)",
        )
    return found


def _message(item: Any, chat: str | None, name: str, index: int) -> tuple[ChatMessage, bool]:
    if not isinstance(item, dict):
        raise ChatExportError(name, f"message {index + 1} of chat {chat!r} is not an object")
    time, local = _time(item, name, index)
    text = _text(item.get("text", ""))
    if item.get("type") == "service":
        actor = item.get("actor")
        action = str(item.get("action") or "service").replace("_", " ")
        title = item.get("title")
        words = [w for w in (actor, action, title, text) if isinstance(w, str) and w]
        author = actor if isinstance(actor, str) and actor else None
        return ChatMessage(time, author, " ".join(words), "system", chat=chat), local
    author = _author(item)
    poll = item.get("poll")
    if isinstance(poll, dict):
        options = [a.get("text", "") for a in poll.get("answers", []) if isinstance(a, dict)]
        lines = ["POLL:", str(poll.get("question", ""))] + [f"OPTION: {o}" for o in options]
        return ChatMessage(time, author, "\n".join(lines), "message", chat=chat), local
    attachment = next((item[k] for k in _FILE_KEYS if isinstance(item.get(k), str)), None)
    if attachment is not None or item.get("media_type") in _MEDIA_TYPES:
        return ChatMessage(time, author, text, "media", attachment, chat), local
    return ChatMessage(time, author, text, "message", chat=chat), local


def _author(item: dict[str, Any]) -> str | None:
    sender = item.get("from")
    if isinstance(sender, str) and sender:
        return sender
    # a deleted account keeps only its id
    sender_id = item.get("from_id")
    return str(sender_id) if sender_id is not None else None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        ]
        return "".join(parts)
    return ""


def _time(item: dict[str, Any], name: str, index: int) -> tuple[str, bool]:
    """UTC from ``date_unixtime``; an ISO ``date`` with a zone converted to UTC; a bare
    ``date`` kept as written (and counted, so the note can say so)."""
    stamp = item.get("date_unixtime")
    try:
        if stamp is not None:
            moment = datetime.fromtimestamp(int(stamp), UTC)
            return moment.replace(tzinfo=None).isoformat(timespec="seconds"), False
        written = item.get("date")
        if not isinstance(written, str):
            raise ValueError("no 'date' or 'date_unixtime'")
        parsed = datetime.fromisoformat(written.replace("Z", "+00:00"))
    except (ValueError, TypeError, OverflowError, OSError) as error:
        raise ChatExportError(
            name, f"message {index + 1} (id {item.get('id')}) has no readable time: {error}"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds"), False
    return parsed.isoformat(timespec="seconds"), True
