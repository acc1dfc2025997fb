"""Telegram Desktop JSON exports: the real samples, and an account export written here."""

from __future__ import annotations

import json

import pytest

from openwitness.screening import ChatExportError
from openwitness.screening.telegram import parse_telegram
from tests.support import SHARED, require_shared

SAMPLES = SHARED / "data" / "chat-exports"


def sample(relative: str) -> list[dict[str, str | None]]:
    path = require_shared(SAMPLES / relative)
    return [
        m.to_dict() for m in parse_telegram(path.read_text(encoding="utf-8"), path.name).messages
    ]


def test_single_chat_with_entities_and_a_service_message() -> None:
    got = sample("mdemyanov__tg-parser/tests/fixtures/personal_chat.json")
    raw = json.loads(
        (SAMPLES / "mdemyanov__tg-parser/tests/fixtures/personal_chat.json").read_text()
    )
    assert len(got) == len(raw["messages"]) == 5
    for message, item in zip(got, raw["messages"], strict=True):
        assert message["kind"] == ("system" if item["type"] == "service" else "message")
        text = item["text"]
        if isinstance(text, list) and item["type"] == "message":
            expected = "".join(p if isinstance(p, str) else p["text"] for p in text)
            assert message["text"] == expected


def test_utc_from_unixtime_and_as_written_where_only_date() -> None:
    path = SAMPLES / "mlomb__chat-analytics/tests/samples/telegram/DM_2A_7M.json"
    parsed = parse_telegram(require_shared(path).read_text(encoding="utf-8"), path.name)
    raw = json.loads(path.read_text())["messages"]
    for message, item in zip(parsed.messages, raw, strict=True):
        if "date_unixtime" in item:
            # 1652135033 is 2022-05-09 22:23:53 UTC (worked out by hand, not by the code)
            if item["date_unixtime"] == "1652135033":
                assert message.time == "2022-05-09T22:23:53"
        else:
            assert message.time == item["date"]
    assert parsed.messages[1].text == "https://google.com 👀"
    assert len(parsed.notes) == 1 and "local time" in parsed.notes[0]


def test_iso_dates_with_z_are_utc_and_a_big_export_reads_whole() -> None:
    got = sample("mlomb__chat-analytics/tests/samples/telegram/BIG_20A_5475M.json")
    assert len(got) == 5475
    assert got[0]["time"] == "2017-01-01T06:20:09"
    assert len({m["author"] for m in got}) == 20


def test_forum_supergroup_service_messages() -> None:
    got = sample("mdemyanov__tg-parser/tests/fixtures/supergroup_with_topics.json")
    assert len(got) == 7
    assert got[0] == {
        "time": "2024-01-10T12:00:00",
        "author": "Admin",
        "text": "Admin create group Test Group",
        "kind": "system",
    }


ACCOUNT = {
    "about": "Here is the data you requested.",
    "personal_information": {"first_name": "Me"},
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {
                "name": "Shift B",
                "type": "private_group",
                "id": 1,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2021-03-01T10:00:00",
                        "date_unixtime": "1614592800",
                        "from": "PC Smith",
                        "from_id": "user1",
                        "text": [{"type": "bold", "text": "look"}, " at this"],
                    },
                    {
                        "id": 2,
                        "type": "message",
                        "date": "2021-03-01T10:01:00",
                        "date_unixtime": "1614592860",
                        "from": None,
                        "from_id": "user9",
                        "photo": "photos/photo_1@01-03-2021_10-01-00.jpg",
                        "text": "",
                    },
                    {
                        "id": 3,
                        "type": "message",
                        "date_unixtime": "1614592920",
                        "from": "PC Jones",
                        "from_id": "user2",
                        "media_type": "voice_message",
                        "file": "voice_messages/audio_1.ogg",
                        "text": "",
                    },
                ],
            }
        ],
    },
    "left_chats": {
        "about": "",
        "list": [
            {
                "name": "Old group",
                "type": "private_supergroup",
                "id": 2,
                "messages": [
                    {
                        "id": 9,
                        "type": "message",
                        "date": "2020-01-01T00:00:00Z",
                        "from": "PC Smith",
                        "text": "bye",
                        "poll": None,
                    }
                ],
            }
        ],
    },
}


def test_whole_account_export_reads_every_chat_including_left_ones() -> None:
    parsed = parse_telegram(json.dumps(ACCOUNT), "result.json")
    got = [(m.chat, m.author, m.text, m.kind, m.attachment) for m in parsed.messages]
    assert got == [
        ("Shift B", "PC Smith", "look at this", "message", None),
        ("Shift B", "user9", "", "media", "photos/photo_1@01-03-2021_10-01-00.jpg"),
        ("Shift B", "PC Jones", "", "media", "voice_messages/audio_1.ogg"),
        ("Old group", "PC Smith", "bye", "message", None),
    ]
    # 1614592800 = 2021-03-01 10:00:00 UTC
    assert parsed.messages[0].time == "2021-03-01T10:00:00"
    assert parsed.messages[3].time == "2020-01-01T00:00:00"
    assert parsed.notes == []


def test_poll_reads_as_question_and_options() -> None:
    chat = {
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "0",
                "from": "A",
                "text": "",
                "poll": {"question": "Pub?", "answers": [{"text": "Yes"}, {"text": "No"}]},
            }
        ]
    }
    message = parse_telegram(json.dumps(chat), "result.json").messages[0]
    assert message.text == "POLL:\nPub?\nOPTION: Yes\nOPTION: No"
    assert message.time == "1970-01-01T00:00:00"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"messages": [', "not valid JSON"),
        ("[1, 2]", "not a Telegram export"),
        ('{"name": "x"}', "neither 'messages'"),
        ('{"messages": {"a": 1}}', "not a list"),
        ('{"messages": [{"id": 1, "type": "message", "text": "x"}]}', "no readable time"),
        ('{"messages": [{"id": 1, "date_unixtime": "soon", "text": "x"}]}', "no readable time"),
        ('{"messages": ["hello"]}', "not an object"),
    ],
)
def test_what_is_not_a_telegram_export_is_refused_clearly(document: str, words: str) -> None:
    with pytest.raises(ChatExportError) as caught:
        parse_telegram(document, "result.json")
    assert words in str(caught.value) and str(caught.value).startswith("result.json")
