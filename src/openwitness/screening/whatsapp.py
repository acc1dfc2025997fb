"""WhatsApp's "Export chat" text, from Android and iOS, in any of its locales.

Written here rather than taken from a library: no maintained Python package reads the layouts
of every locale (the ones that exist fix one date order or one clock), and the choices that
matter for evidence are the project's own: keep file order, decide the day/month order once
for the whole file and say so when it had to be assumed, and refuse a file rather than guess
when its first line is not a message line.

One pattern covers the line heads seen in real exports::

    12/31/20, 23:55 - Name: text            Android, en-US
    31.12.20, 23:55 - Name: text            Android, de
    [31/12/2020, 11:55:09 PM] Name: text    iOS (U+202F before PM since iOS 17)
    13.6.2018 klo 21.25.15 - Name: text     Finnish, a word between date and time
    2020. 1. 15. 오후 3:45, Name : text      Korean, the half of the day before the time
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from openwitness.screening import ChatExportError, ChatMessage, ParsedChat

#: a WhatsApp message holds at most 65,536 characters; a longer line is not an export
MAX_LINE_CHARS = 100_000

#: direction marks and isolates that Android and iOS put around names, system text and
#: attachments; they carry no meaning and would break every comparison
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

_LEADING = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff \t"

_HEADER = re.compile(
    r"""^\[?
    (?P<d1>\d{1,4})(?P<sep>[./-])\ ?(?P<d2>\d{1,2})(?P=sep)\ ?(?P<d3>\d{2,4})\.?
    (?:,\s*|\s+)
    (?:[^\W\d_]{1,6}\.?\s+){0,2}?
    (?:(?P<pre>오전|오후|上午|下午|午前|午後)\s*)?
    (?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?
    (?:[\s\u00a0\u202f]*(?P<ampm>[ap]\.?\s?m\b\.?|[ap]\.\s?m\.))?
    (?:\]\s?|\s?[-\u2013]\s|:\s|,\s|\s?[-\u2013]$)
    """,
    re.VERBOSE | re.IGNORECASE,
)

#: "Name: text" (a space before the colon in some locales); names never hold ": "
_AUTHOR = re.compile(r"^(?P<author>[^:\n]{1,120}?)\s?:(?: |$)(?P<text>.*)$", re.DOTALL)

_PM_BEFORE = {"오후", "下午", "午後"}

#: lines the app writes with a person's name in front, in the words of the common locales;
#: matched on the whole text, so a person who merely mentions encryption is still screened
_APP_LINES = re.compile(
    r"""^(?:
      (?:messages|calls|nachrichten|los\ mensajes|les\ messages|i\ messaggi|as\ mensagens
        |berichten|mesajlar)\b.{0,120}?
        (?:end-to-end\ encrypt|ende-zu-ende-verschlüssel|cifrad[oa]s\ de\ extremo\ a\ extremo
        |chiffrés\ de\ bout\ en\ bout|criptografia\ de\ ponta\ a\ ponta
        |crittografat[ie]\ end-to-end|end-to-end\ versleuteld|uçtan\ uca\ şifrel).*
      |(?-i:\S.{0,60}?\s(?:created\ group\ ["“«„].*|created\ this\ group
        |hat\ die\ Gruppe(?:\ .{1,80})?\ erstellt|a\ créé\ le\ groupe(?:\ .*)?
        |creó\ el\ grupo(?:\ .*)?|criou\ o\ grupo(?:\ .*)?|ha\ creato\ il\ gruppo(?:\ .*)?))
      |this\ message\ was\ deleted|you\ deleted\ this\ message|waiting\ for\ this\ message.*
      |se\ eliminó\ este\ mensaje|eliminaste\ este\ mensaje|diese\ nachricht\ wurde\ gelöscht
      |du\ hast\ diese\ nachricht\ gelöscht|ce\ message\ a\ été\ supprimé
      |vous\ avez\ supprimé\ ce\ message|(?:missed\ )?(?:voice|video)\ call
    )\.?$""",
    re.VERBOSE | re.IGNORECASE,
)
#: system lines that hold ": " themselves ('Alice changed the subject to "Rota: May"'), which
#: would otherwise read as a message from someone called 'Alice changed the subject to "Rota'
_SYSTEM_BEFORE_COLON = re.compile(
    r"""changed\ (?:the\ subject|the\ group\ (?:description|name)|this\ group's\ icon)
    |hat\ den\ betreff|a\ modifié\ le\ sujet|cambió\ el\ asunto|mudou\ o\ assunto
    |ha\ cambiato\ l'oggetto|\ created\ group\ |\ pinned\ a\ message""",
    re.VERBOSE | re.IGNORECASE,
)

_MEDIA_EXTENSIONS = (
    "jpe?g|png|gif|webp|heic|bmp|mp4|3gp|mov|avi|mkv|webm|opus|ogg|oga|m4a|mp3|aac|wav|amr"
    "|pdf|docx?|xlsx?|pptx?|txt|vcf|zip|tgs"
)
#: "IMG-20200101-WA0001.jpg (file attached)" and its translations
_FILE_ATTACHED = re.compile(
    rf"^(?P<file>[^\n<>]{{0,200}}?\.(?:{_MEDIA_EXTENSIONS}))\s*\([^()\n]{{1,40}}\)(?:\n|$)",
    re.IGNORECASE,
)
#: "<Media omitted>", "<attached: 00000012-PHOTO-2020-01-01.jpg>", "<Medien ausgeschlossen>"
_PLACEHOLDER = re.compile(r"^<(?:[^<>:\n]{1,40}:\s*(?P<file>[^<>\n]{1,200})|[^<>\n]{1,40})>$")
#: iOS: "image omitted", "video omitted", "document.pdf • 3 pages document omitted"
_OMITTED = re.compile(
    r"(?:^|\s)\w+(?:\s\w+)?\s"
    r"(?:omitted|omitida|omitido|weggelassen|ausgeschlossen|absente|omessa|omesso|ocultad[oa]"
    r"|weggelaten|pominięto)$",
    re.IGNORECASE,
)
_EDIT_OR_DELETE = re.compile(
    r"deleted|edited|eliminad|gelöscht|bearbeitet|supprimé|modifié|borrad|apagad|editad",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Entry:
    """A message line and its continuation lines, before dates are read."""

    line: int
    match: re.Match[str]
    lines: list[str]


def looks_like_whatsapp(text: str) -> bool:
    """Whether the first line with anything on it is a WhatsApp message line."""
    for raw in _lines(text[:4096]):
        stripped = _INVISIBLE.sub("", raw).strip()
        if stripped:
            return _HEADER.match(stripped) is not None
    return False


def parse_whatsapp(text: str, name: str) -> ParsedChat:
    """Every message of a decoded export, in file order; the day/month order is decided once
    for the whole file, and ``notes`` says when it had to be assumed."""
    entries = list(_entries(text, name))
    if not entries:
        raise ChatExportError(name, "has no messages in it")
    order, notes = _date_order(entries, name)
    drafts = [_draft(entry) for entry in entries]
    # iOS attributes system lines to the group's name; a name that never wrote anything is
    # the group, not a person
    writers = {author for author, _, kind, _ in drafts if kind != "system" and author}
    messages = [
        ChatMessage(
            time=time,
            author=author if kind != "system" or author in writers else None,
            text=body,
            kind=kind,
            attachment=attachment,
        )
        for (author, body, kind, attachment), time in zip(
            drafts, (_time(entry, order, name) for entry in entries), strict=True
        )
    ]
    return ParsedChat(messages=messages, format="whatsapp", notes=notes)


def _lines(text: str) -> Iterator[str]:
    # CRLF, LF and lone CR all end a line; str.splitlines would also split on U+2028 and
    # friends, which people type inside messages
    yield from re.split(r"\r\n|\r|\n", text)


def _entries(text: str, name: str) -> Iterator[_Entry]:
    current: _Entry | None = None
    for number, raw in enumerate(_lines(text), start=1):
        if len(raw) > MAX_LINE_CHARS:
            raise ChatExportError(
                name,
                f"the line is longer than {MAX_LINE_CHARS:,} characters, which no WhatsApp "
                "message is; this is not a chat export",
                number,
            )
        if "\x00" in raw:
            raise ChatExportError(name, "holds binary data, not the text of a chat", number)
        # Android and iOS put direction marks and a BOM in front of some lines; the text
        # after the head keeps its marks, which tell what the app wrote (see _draft)
        head = raw.lstrip(_LEADING)
        match = _HEADER.match(head)
        if match is not None:
            if current is not None:
                yield current
            rest = head[match.end() :]
            current = _Entry(number, match, [rest])
        elif current is None:
            if not raw.strip():
                continue
            raise ChatExportError(
                name,
                f"is not a WhatsApp message line: {_excerpt(raw)!r} (a WhatsApp export starts "
                "each message with its date and time, such as '31/12/2020, 23:55 - Name: text')",
                number,
            )
        else:
            current.lines.append(raw)
    if current is not None:
        yield current


def _excerpt(raw: str) -> str:
    shown = raw.strip()
    return shown if len(shown) <= 60 else shown[:57] + "…"


@dataclass(frozen=True, slots=True)
class _Order:
    """Where the year, month and day sit in the date's three numbers."""

    year: int
    month: int
    day: int


def _fields(entry: _Entry) -> tuple[str, str, str]:
    return entry.match["d1"], entry.match["d2"], entry.match["d3"]


def _date_order(entries: list[_Entry], name: str) -> tuple[_Order, list[str]]:
    """Decided from the whole file, never per line: a field above 12 cannot be a month; when
    none is, the field that changes more often from one message to the next is the day (as
    in a real conversation); failing that, day first, which most of the world writes, and
    the note says which was assumed."""
    year_first = any(len(d1) > 2 or int(d1) > 31 for d1, _, _ in map(_fields, entries))
    if year_first:
        # year/month/day is what every year-first locale writes; year/day/month only if the
        # months cannot be months
        candidates = [_Order(0, 1, 2), _Order(0, 2, 1)]
    else:
        candidates = [_Order(2, 1, 0), _Order(2, 0, 1)]
    possible = [order for order in candidates if _fits(order, entries)]
    if not possible:
        raise ChatExportError(
            name,
            "its dates mix day-first and month-first, so they cannot be read one way",
            _first_contradiction(candidates, entries),
        )
    if len(possible) == 1 or year_first:
        return possible[0], []
    changes = [_changes(entries, order.day) for order in possible]
    if changes[0] != changes[1]:
        chosen = possible[0] if changes[0] > changes[1] else possible[1]
        reason = "the field that changes more often from message to message is taken as the day"
    else:
        chosen = possible[0]
        reason = "no date in the file tells the two apart, and most locales write the day first"
    label = "/".join(_order_words(chosen))
    return chosen, [f"no day in the file is above 12; the dates were read as {label}: {reason}"]


def _changes(entries: list[_Entry], place: int) -> int:
    values = [_fields(entry)[place] for entry in entries]
    return sum(1 for before, after in itertools.pairwise(values) if before != after)


def _order_words(order: _Order) -> list[str]:
    places = {order.year: "year", order.month: "month", order.day: "day"}
    return [places[i] for i in range(3)]


def _fits(order: _Order, entries: list[_Entry]) -> bool:
    return all(1 <= int(_fields(e)[order.month]) <= 12 for e in entries)


def _first_contradiction(candidates: list[_Order], entries: list[_Entry]) -> int:
    """The line whose date rules out the last order still possible before it."""
    alive = list(candidates)
    for entry in entries:
        alive = [o for o in alive if 1 <= int(_fields(entry)[o.month]) <= 12]
        if not alive:
            return entry.line
    return entries[0].line


def _year(text: str) -> int:
    # two-digit years: WhatsApp dates from 2009, so 09 is 2009, never 1909
    return int(text) + 2000 if len(text) <= 2 else int(text)


def _time(entry: _Entry, order: _Order, name: str) -> str:
    match = entry.match
    fields = _fields(entry)
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    half = re.sub(r"[\s.]", "", (match["ampm"] or "").lower())
    pm = half == "pm" or match["pre"] in _PM_BEFORE
    if half or match["pre"]:
        if not 1 <= hour <= 12:
            raise ChatExportError(name, f"{hour} is not an hour on a 12-hour clock", entry.line)
        hour = hour % 12 + (12 if pm else 0)
    try:
        moment = datetime(
            _year(fields[order.year]),
            int(fields[order.month]),
            int(fields[order.day]),
            hour,
            minute,
            second,
        )
    except ValueError as error:
        raise ChatExportError(
            name, f"its date or time cannot be read: {error}", entry.line
        ) from None
    return moment.isoformat(timespec="seconds")


def _draft(entry: _Entry) -> tuple[str | None, str, str, str | None]:
    """(author, text, kind, attachment) of one entry."""
    rest = "\n".join(entry.lines)
    split = _AUTHOR.match(rest)
    if split is None or _SYSTEM_BEFORE_COLON.search(split["author"]):
        return None, _clean(rest), "system", None
    author = _INVISIBLE.sub("", split["author"]).strip()
    raw_text = split["text"]
    text = _clean(raw_text)
    kind, attachment = _media(text, text.split("\n", 1)[0])
    if kind == "media":
        return author, text, kind, attachment
    # iOS marks what the app wrote with a left-to-right mark in front of the text
    if raw_text.startswith("\u200e") or _APP_LINES.match(text):
        return author, text, "system", None
    return author, text, "message", None


def _media(text: str, first_line: str) -> tuple[str, str | None]:
    placeholder = _PLACEHOLDER.match(first_line)
    if placeholder is not None and not _EDIT_OR_DELETE.search(first_line):
        # "<Media omitted>" in any language, or iOS's "<attached: 00000012-PHOTO-….jpg>"
        return "media", (placeholder["file"] or "").strip() or None
    attached = _FILE_ATTACHED.match(text)
    if attached is not None:
        return "media", attached["file"].strip()
    if (len(first_line) < 200 and _OMITTED.search(first_line)) or text == "null":
        # iOS's "image omitted"; Android writes "null" for a photo that could be viewed once
        return "media", None
    return "message", None


def _clean(text: str) -> str:
    return _INVISIBLE.sub("", text).strip()
