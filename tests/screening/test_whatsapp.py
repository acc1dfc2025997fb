"""WhatsApp text exports: the real samples in ../shared/data/chat-exports and, for the variants
that have no sample, small files written here in the layouts real exports use."""

from __future__ import annotations

from pathlib import Path

import pytest

from openwitness.screening import ChatExportError, ChatMessage
from openwitness.screening.exports import decode
from openwitness.screening.whatsapp import MAX_LINE_CHARS, parse_whatsapp
from tests.support import SHARED, require_shared

SAMPLES = SHARED / "data" / "chat-exports"

#: entries per sample as the folder's README counts them (lines that start with a timestamp)
ENTRIES = {
    "lucasrodes__whatstk/chats/whatsapp/pokemon.txt": 20,
    "lucasrodes__whatstk/chats/whatsapp/lorem.txt": 500,
    "lucasrodes__whatstk/chats/whatsapp/lorem-2000.txt": 2000,
    "lucasrodes__whatstk/chats/whatsapp/lorem-merge-part1.txt": 300,
    "lucasrodes__whatstk/chats/whatsapp/lorem-merge-part2.txt": 300,
    "JBGruber__rwhatsapp/inst/extdata/sample.txt": 9,
    "SpiritFour__whatsanalyze/static/chat_example.txt": 537,
    "mlomb__chat-analytics/tests/samples/whatsapp/2A_5M.txt": 5,
    "mlomb__chat-analytics/tests/samples/whatsapp/4A_11M.txt": 14,
    "JanChodorowski__whatsapp-chat-parser-go/test_data/default.txt": 5,
    "JanChodorowski__whatsapp-chat-parser-go/test_data/english_android-unsaved_contacts.txt": 20,
    "JanChodorowski__whatsapp-chat-parser-go/test_data/english_iphone-saved_contacts.txt": 15,
    "rodrigogs__whats-reader/examples/parser-tests/german-format-test.txt": 6,
    "rodrigogs__whats-reader/examples/parser-tests/french-format-test.txt": 6,
    "rodrigogs__whats-reader/examples/parser-tests/spanish-format-test.txt": 6,
    "rodrigogs__whats-reader/examples/parser-tests/asian-format-test.txt": 5,
    "rodrigogs__whats-reader/examples/parser-tests/asian-ampm-format-test.txt": 5,
    "rodrigogs__whats-reader/examples/parser-tests/european-ampm-format-test.txt": 4,
    "rodrigogs__whats-reader/examples/parser-tests/dot-time-klo-format-test.txt": 3,
    "rodrigogs__whats-reader/examples/parser-tests/bracketed-year-first-test.txt": 3,
    "rodrigogs__whats-reader/examples/parser-tests/dash-format-test.txt": 5,
    "rodrigogs__whats-reader/examples/parser-tests/ios-format-test.txt": 5,
    "rodrigogs__whats-reader/examples/chats/android-group-chat/"
    "WhatsApp Chat with Family Group 👨\u200d👩\u200d👧\u200d👦.txt": 50,
    "rodrigogs__whats-reader/examples/chats/android-private-chat/WhatsApp Chat with Alice.txt": 45,
    "rodrigogs__whats-reader/examples/chats/ios-group-chat/_chat.txt": 39,
    "rodrigogs__whats-reader/examples/chats/ios-private-chat/_chat.txt": 45,
}


def sample(relative: str) -> list[ChatMessage]:
    path = require_shared(SAMPLES / relative)
    return parse_whatsapp(decode(path.read_bytes(), path.name), path.name).messages


def parse(text: str) -> list[dict[str, str | None]]:
    return [m.to_dict() for m in parse_whatsapp(text, "chat.txt").messages]


@pytest.mark.parametrize("relative", sorted(ENTRIES), ids=lambda r: r.rsplit("/", 1)[-1][:40])
def test_every_sample_reads_one_message_per_timestamped_line(relative: str) -> None:
    messages = sample(relative)
    assert len(messages) == ENTRIES[relative]
    assert all(m.kind in ("message", "media", "system") for m in messages)
    assert all(m.author is None or m.author == m.author.strip() for m in messages)


def test_day_first_with_dots_24_hour_clock() -> None:
    messages = sample("lucasrodes__whatstk/chats/whatsapp/pokemon.txt")
    path = SAMPLES / "lucasrodes__whatstk/chats/whatsapp/pokemon.txt"
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    day, month, year = first_line.split(",")[0].split(".")
    assert messages[0].time.startswith(f"{year}-{month}-{day}T")
    assert messages[0].kind == "system" and messages[0].author is None  # the group's name


def test_bracketed_two_digit_year_with_dashes_and_seconds() -> None:
    messages = sample("lucasrodes__whatstk/chats/whatsapp/lorem.txt")
    assert messages[0].time == "2020-01-15T02:22:56"
    assert messages[0].text == "Nostrud exercitation magna id."  # the trailing space dropped
    assert messages[2].author == "+1 123 456 789"


def test_us_month_first_and_a_trailing_space_in_a_name() -> None:
    messages = sample("SpiritFour__whatsanalyze/static/chat_example.txt")
    assert messages[0].time == "2019-08-26T17:47:00"
    assert {m.author for m in messages if m.kind != "system"} == {"John Doe", "Jane Doe"}
    assert sum(m.kind == "media" for m in messages) == 18  # "<media omitted>", lower case


def test_twelve_hour_clocks_in_every_spelling() -> None:
    times = [
        m.time
        for m in sample(
            "rodrigogs__whats-reader/examples/parser-tests/european-ampm-format-test.txt"
        )
    ]
    assert times == [
        "2018-06-23T13:55:00",  # p.m.
        "2018-06-23T13:56:00",  # p. m.
        "2018-06-23T13:57:00",  # PM
        "2018-06-23T01:58:00",  # am
    ]


def test_ios_17_narrow_space_before_pm_and_marked_system_line() -> None:
    messages = sample("rodrigogs__whats-reader/examples/parser-tests/ios-format-test.txt")
    assert [m.time for m in messages[:3]] == [
        "2025-11-13T12:25:55",
        "2025-11-13T12:25:55",
        "2025-11-13T09:09:43",
    ]
    assert messages[0].kind == "system"  # "‎This business uses a secure service from Meta…"
    assert messages[1].text == "" and messages[1].kind == "message"  # an empty message
    assert messages[2].text.count("\n") == 5 and "\u200e" not in messages[2].text


def test_dotted_times_a_word_between_date_and_time_and_colon_heads() -> None:
    messages = sample("rodrigogs__whats-reader/examples/parser-tests/dot-time-klo-format-test.txt")
    assert [(m.time, m.author) for m in messages] == [
        ("2018-06-13T21:25:15", "Mika"),
        ("2018-06-13T21:25:15", "Laura"),
        ("2018-06-13T21:25:00", "Mika"),
    ]


def test_year_first_with_mixed_clocks_in_one_file() -> None:
    messages = sample("rodrigogs__whats-reader/examples/parser-tests/bracketed-year-first-test.txt")
    assert [m.time for m in messages] == [
        "2018-06-13T21:25:15",
        "2018-06-13T13:55:00",
        "2018-06-13T01:56:00",
    ]


def test_multi_line_message_keeps_its_blank_line() -> None:
    messages = sample("JanChodorowski__whatsapp-chat-parser-go/test_data/default.txt")
    assert messages[-1].author == "+410123456789"
    assert messages[-1].text == "How are you?\n\nIs everything alright?"


def test_ios_system_lines_are_the_apps_and_the_group_name_is_no_author() -> None:
    messages = sample(
        "JanChodorowski__whatsapp-chat-parser-go/test_data/english_iphone-saved_contacts.txt"
    )
    system = [m for m in messages[:3]]
    assert [m.kind for m in system] == ["system"] * 3
    assert system[0].author is None and system[0].text.startswith("Messages and calls")
    assert system[1].text == "Josh created this group"
    assert all("\u200e" not in m.text for m in messages)


def test_android_attachments_and_system_lines() -> None:
    messages = sample(
        "rodrigogs__whats-reader/examples/chats/android-group-chat/"
        "WhatsApp Chat with Family Group 👨\u200d👩\u200d👧\u200d👦.txt"
    )
    media = [m for m in messages if m.kind == "media"]
    assert [m.attachment for m in media][:2] == [
        "IMG-20241201-WA0001.jpg",
        "PTT-20241201-WA0002.opus",
    ]
    system = {m.text for m in messages if m.kind == "system"}
    assert "Dad joined using this group's invite link" in system
    assert "Mom changed this group's icon" in system
    assert all(m.author is None for m in messages if m.kind == "system")


def test_translated_placeholders_are_media() -> None:
    for locale, placeholder in (
        ("german", "<Medien ausgelassen>"),
        ("french", "<Médias omis>"),
        ("spanish", "<Archivo omitido>"),
    ):
        messages = sample(f"rodrigogs__whats-reader/examples/parser-tests/{locale}-format-test.txt")
        kinds = {m.text: m.kind for m in messages}
        assert kinds[placeholder] == "media"
        assert sum(m.kind == "system" for m in messages) == 1  # "… created the group"


# --- variants with no sample, written in the layouts real exports use ---------------------


def test_android_us_12_hour_with_narrow_space_and_no_leading_zeros() -> None:
    assert parse("1/15/24, 9:05\u202fPM - Ann: hi\n1/15/24, 12:01\u202fAM - Bo: late\n") == [
        {"time": "2024-01-15T21:05:00", "author": "Ann", "text": "hi", "kind": "message"},
        {"time": "2024-01-15T00:01:00", "author": "Bo", "text": "late", "kind": "message"},
    ]


def test_spanish_a_m_p_m_with_no_break_spaces() -> None:
    got = parse("15/1/24, 9:05\u00a0p.\u00a0m. - Ana: hola\n16/1/24, 12:30 a. m. - Ana: ya\n")
    assert [m["time"] for m in got] == ["2024-01-15T21:05:00", "2024-01-16T00:30:00"]


def test_dotted_two_digit_years_without_comma() -> None:
    got = parse("15.01.24 21:05 - X: y\n16.01.24 08:00 - X: z")
    assert [m["time"] for m in got] == ["2024-01-15T21:05:00", "2024-01-16T08:00:00"]


def test_french_a_between_date_and_time() -> None:
    assert parse("15/01/2024 à 21:05 - Jean: salut")[0]["time"] == "2024-01-15T21:05:00"


def test_korean_half_of_day_before_the_time_and_space_before_colon() -> None:
    got = parse(
        "2024. 1. 15. 오후 9:05, 김철수 : 안녕하세요\n2024. 1. 16. 오전 12:10, 김철수 : 네\n"
    )
    assert got[0] == {
        "time": "2024-01-15T21:05:00",
        "author": "김철수",
        "text": "안녕하세요",
        "kind": "message",
    }
    assert got[1]["time"] == "2024-01-16T00:10:00"


def test_bom_crlf_lf_and_lone_cr_mixed_with_no_final_newline() -> None:
    data = (
        "\ufeff13/01/2024, 10:00 - A: one\r\nsecond line\n"
        "13/01/2024, 10:01 - B: two\r13/01/2024, 10:02 - A: three"
    )
    got = parse(decode(data.encode("utf-8"), "chat.txt"))
    assert [(m["author"], m["text"]) for m in got] == [
        ("A", "one\nsecond line"),
        ("B", "two"),
        ("A", "three"),
    ]


def test_utf16_with_bom_reads() -> None:
    text = decode("13/01/2024, 10:00 - A: é\n".encode("utf-16"), "chat.txt")
    assert parse(text)[0]["text"] == "é"


def test_ios_marked_media_deleted_and_mentions() -> None:
    lrm = "\u200e"
    got = parse(
        f"{lrm}[13/01/2024, 10:00:00] Kim: {lrm}image omitted\n"
        f"[13/01/2024, 10:00:05] Kim: {lrm}<attached: 00000012-PHOTO-2024-01-13-10-00-05.jpg>\n"
        f"[13/01/2024, 10:01:00] Lee: {lrm}This message was deleted.\n"
        "[13/01/2024, 10:02:00] Lee: @\u2068Kim\u2069 look at this\n"
        f"[13/01/2024, 10:03:00] Lee: {lrm}video omitted\n"
    )
    assert [m["kind"] for m in got] == ["media", "media", "system", "message", "media"]
    assert got[3]["text"] == "@Kim look at this"
    messages = parse_whatsapp(
        f"[13/01/2024, 10:00:05] Kim: {lrm}<attached: 00000012-PHOTO-2024-01-13-10-00-05.jpg>",
        "chat.txt",
    ).messages
    assert messages[0].attachment == "00000012-PHOTO-2024-01-13-10-00-05.jpg"


def test_poll_is_one_message_with_its_options() -> None:
    got = parse(
        "13/01/2024, 10:00 - A: POLL:\nLunch?\nOPTION: Pizza (2 votes)\nOPTION: Sushi (0 votes)\n"
        "13/01/2024, 10:05 - B: ok\n"
    )
    assert got[0]["kind"] == "message"
    assert got[0]["text"] == "POLL:\nLunch?\nOPTION: Pizza (2 votes)\nOPTION: Sushi (0 votes)"


def test_android_system_lines_and_one_that_holds_a_colon() -> None:
    got = parse(
        "13/01/2024, 10:00 - Ann left\n"
        "13/01/2024, 10:01 - Bo changed their phone number to a new number. Tap to message.\n"
        '13/01/2024, 10:02 - Bo changed the subject from "Team" to "Rota: May"\n'
        "13/01/2024, 10:03 - Bo removed Cy\n"
        "13/01/2024, 10:04 - Bo: You deleted this message\n"
        "13/01/2024, 10:05 - Bo: note: this text has a colon\n"
    )
    assert [(m["kind"], m["author"]) for m in got] == [
        ("system", None),
        ("system", None),
        ("system", None),
        ("system", None),
        ("system", "Bo"),
        ("message", "Bo"),
    ]
    assert got[2]["text"] == 'Bo changed the subject from "Team" to "Rota: May"'
    assert got[5]["text"] == "note: this text has a colon"


def test_a_person_who_mentions_encryption_or_creating_the_group_is_still_a_person() -> None:
    got = parse(
        "13/01/2024, 10:00 - Bo: Messages here are NOT secret, whatever end-to-end says\n"
        "13/01/2024, 10:01 - Bo: Created this group so we can talk freely\n"
    )
    assert [m["kind"] for m in got] == ["message", "message"]


def test_ambiguous_dates_say_what_was_assumed() -> None:
    parsed = parse_whatsapp("01/02/2024, 10:00 - A: x\n01/02/2024, 10:01 - B: y\n", "chat.txt")
    assert parsed.messages[0].time == "2024-02-01T10:00:00"
    assert len(parsed.notes) == 1 and "day/month/year" in parsed.notes[0]


def test_the_field_that_changes_in_conversation_is_the_day() -> None:
    lines = [f"0{month}/0{day}/2024, 10:00 - A: x" for month in (1,) for day in range(1, 10)]
    parsed = parse_whatsapp("\n".join(lines), "chat.txt")
    assert parsed.messages[-1].time == "2024-01-09T10:00:00"  # month/day/year
    assert "month/day/year" in parsed.notes[0]


def test_a_day_above_12_decides_for_the_whole_file() -> None:
    parsed = parse_whatsapp("02/03/2024, 10:00 - A: x\n02/13/2024, 10:00 - A: y\n", "chat.txt")
    assert [m.time[:10] for m in parsed.messages] == ["2024-02-03", "2024-02-13"]
    assert parsed.notes == []


def test_day_first_and_month_first_in_one_file_is_refused_naming_the_line() -> None:
    with pytest.raises(ChatExportError) as caught:
        parse("13/01/2024, 10:00 - A: x\n01/02/2024, 10:00 - A: y\n01/13/2024, 10:00 - A: z\n")
    assert caught.value.line == 3 and "day-first and month-first" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Dear diary,\n13/01/2024, 10:00 - A: x\n", 1, "not a WhatsApp message line"),
        ("\n\n  \n", None, "no messages"),
        ("13/01/2024, 10:00 - A: x\n" + "y" * (MAX_LINE_CHARS + 1), 2, "longer than"),
        ("13/01/2024, 10:00 - A: x\n\x00\x01\x02", 2, "binary"),
        ("13/01/2024, 25:00 - A: x\n", 1, "cannot be read"),
        ("31/02/2024, 10:00 - A: x\n", 1, "cannot be read"),
        ("13/01/2024, 13:00 PM - A: x\n", 1, "12-hour clock"),
    ],
    ids=["prose", "empty", "huge line", "binary", "hour 25", "31 February", "13 PM"],
)
def test_what_is_not_an_export_is_refused_naming_the_line(
    text: str, line: int | None, words: str
) -> None:
    with pytest.raises(ChatExportError) as caught:
        parse(text)
    assert caught.value.line == line and words in str(caught.value)


def test_text_in_an_unknown_encoding_is_refused_naming_the_line(tmp_path: Path) -> None:
    data = "13/01/2024, 10:00 - A: fine\n13/01/2024, 10:01 - B: caf\u00e9\n".encode("cp1252")
    with pytest.raises(ChatExportError) as caught:
        decode(data, "chat.txt")
    assert caught.value.line == 2 and "not UTF-8" in str(caught.value)
