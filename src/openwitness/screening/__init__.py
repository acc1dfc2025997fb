"""Conduct screening: exported group chats read, kept as evidence, and the messages that matter
put first (``openwitness.screening``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from openwitness.core.errors import InvalidRequestError

#: what a line of a chat is: something a person wrote, a photo/video/voice note/file they sent,
#: or a line the app wrote (group created, someone added, a message deleted)
KINDS = ("message", "media", "system")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as the export wrote it.

    ``time`` is local time as written for WhatsApp (exports carry no zone) and UTC for
    Telegram; ``author`` is None for lines the app wrote; ``attachment`` names the media file
    a message refers to, when the export names it."""

    time: str
    author: str | None
    text: str
    kind: str
    attachment: str | None = None
    chat: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The shape ``witness screening parse --json`` prints, which other tools read."""
        return {"time": self.time, "author": self.author, "text": self.text, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class ParsedChat:
    """A whole export: its messages in file order, the format, and what had to be assumed."""

    messages: list[ChatMessage]
    format: str
    notes: list[str] = field(default_factory=list)


class ChatExportError(InvalidRequestError):
    """A file that is not a chat export this can read: names the file and, where known, the
    line that failed, so the person can see what is wrong with it."""

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        self.file, self.problem, self.line = file, problem, line
        where = file + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {problem}")
