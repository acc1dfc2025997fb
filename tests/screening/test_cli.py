"""The screening commands end to end, as an operator runs them: lodge, list, show, decide,
find a photo, and the receipt of the lodged export checked by `witness verify`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from openwitness.core.config import Settings
from tests.screening.test_lodging import make_export
from tests.support import env_for

WITNESS = str(Path(sys.executable).with_name("witness"))


def witness(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [WITNESS, *args], env=env_for(settings), capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"witness {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def test_lodge_show_decide_and_verify(sqlite_settings: Settings, tmp_path: Path) -> None:
    witness(sqlite_settings, "init", "--origin", "cli.test/log")
    export = make_export(tmp_path)
    lodged = json.loads(witness(sqlite_settings, "screening", "add", str(export), "--json").stdout)
    assert lodged["messages"] == 4 and lodged["flagged"] == 1
    listed = json.loads(witness(sqlite_settings, "screening", "list", "--json").stdout)
    assert [e["id"] for e in listed] == [lodged["export"]]
    shown = json.loads(
        witness(sqlite_settings, "screening", "show", str(lodged["export"]), "--json").stdout
    )
    top = shown["ranked"][0]
    assert top["author"] == "PC Rowe" and "hateful" in top["flagged"]  # the operator sees names
    decided = witness(
        sqlite_settings,
        "screening",
        "decide",
        str(lodged["export"]),
        str(top["position"]),
        "confirmed",
        "--note",
        "racist generalisation",
    )
    assert "confirmed" in decided.stdout
    again = json.loads(
        witness(sqlite_settings, "screening", "show", str(lodged["export"]), "--json").stdout
    )
    assert again["ranked"][0]["decision"]["note"] == "racist generalisation"
    # the export's receipt was written beside it, and checks offline against the file
    assert lodged["receipt_file"] == f"{export}.tlog-proof"
    assert Path(lodged["receipt_file"]).read_text(encoding="utf-8") == lodged["receipt"]
    key = witness(sqlite_settings, "log", "key").stdout.strip()
    witness(
        sqlite_settings, "verify", "--receipt", lodged["receipt_file"], "--key", key, str(export)
    )


def test_the_report_is_tied_to_the_file_and_holds_the_decisions(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    witness(sqlite_settings, "init", "--origin", "cli.test/log")
    export = make_export(tmp_path)
    lodged = json.loads(witness(sqlite_settings, "screening", "add", str(export), "--json").stdout)
    shown = json.loads(
        witness(sqlite_settings, "screening", "show", str(lodged["export"]), "--json").stdout
    )
    position = str(shown["ranked"][0]["position"])
    witness(sqlite_settings, "screening", "decide", str(lodged["export"]), position, "dismissed")
    witness(
        sqlite_settings, "screening", "decide", str(lodged["export"]), position, "confirmed",
        "--note", "a generalisation about Muslims",
    )  # fmt: skip
    witness(sqlite_settings, "screening", "report", str(lodged["export"]), str(tmp_path / "r"))
    html = (tmp_path / "r" / f"openwitness-screening-{lodged['export']}.html").read_text()
    pdf = tmp_path / "r" / f"openwitness-screening-{lodged['export']}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    # the log's latest checkpoint (the photo was logged after the export), which includes it
    checkpoint = witness(sqlite_settings, "log", "checkpoint").stdout.splitlines()
    texts = [html]
    if pdftotext := shutil.which("pdftotext"):
        texts.append(
            subprocess.run(
                [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
        )
    for text in texts:
        flat = " ".join(text.split())
        assert lodged["sha256"] in flat and checkpoint[2] in flat  # the file and the checkpoint
        assert f"Entry {lodged['log_index']} of the transparency log" in flat
        assert "PC Rowe" in flat and "100%" in flat  # who sent the flagged messages
        assert "a generalisation about Muslims" in flat and "dismissed" in flat  # the history
        assert "all muslims are terrorists" in flat
