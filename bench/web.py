"""Server time of the web app's pages with the demo data set (target: < 100 ms each).

A real `witness serve --demo` (its own seeded folder: 120 cases, 40 officers, 207 allegations)
in a temporary OPENWITNESS_HOME; the caseworker and admin demo accounts sign in through the
sign-in form. One keep-alive httpx client then times N interleaved rounds (``--requests``) of
every page: the public pages, the case list (plain, filtered, searched), case pages and officer
profiles (ids rotating), the overdue dashboard and the import page. Server time is the app's own
``Server-Timing: app;dur=`` header (middleware around the whole app, so routing, the services,
the database and template rendering); the client's latency (send to body read) is shown beside
it. Baseline, same rounds: ``GET /api/v1/taxonomy`` (no table, no template).

Run:  .venv/bin/python bench/web.py                 (100 requests per page)
      .venv/bin/python bench/web.py --quick         (20)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
from _common import (
    VENV_BIN,
    Row,
    add_common_args,
    await_server,
    free_port,
    ms,
    print_footer,
    print_header,
    print_table,
    stats,
    temp_dir,
    write_json,
)

from openwitness.demo import DEMO_PASSWORD

TARGET = 0.100
START_TIMEOUT = 120.0


def start(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env["OPENWITNESS_HOME"] = str(home)
    proc = subprocess.Popen(
        [str(VENV_BIN / "witness"), "serve", "--demo", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    await_server(proc, f"http://127.0.0.1:{port}/api/v1/taxonomy", log, START_TIMEOUT)
    return proc


def session_cookie(client: httpx.Client, username: str) -> str:
    """Sign in through the form; the cookie is Secure, so it is sent by hand over plain HTTP."""
    answer = client.post("/sign-in", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 303, answer.text
    match = re.search(r"ow_session=([^;]+)", answer.headers["set-cookie"])
    assert match, answer.headers
    return f"ow_session={match.group(1)}"


def pages(n_cases: int, officers: list[int]) -> list[tuple[str, str, object]]:
    """(label, who, path or path-of-round) for every page timed."""
    return [
        ("taxonomy API (floor)", "public", "/api/v1/taxonomy"),
        ("home", "public", "/"),
        ("report form", "public", "/report"),
        ("verify", "public", "/verify"),
        ("log", "public", "/log"),
        ("know your rights", "public", "/rights"),
        ("case list", "caseworker", "/cases"),
        ("case list, status=closed", "caseworker", "/cases?status=closed"),
        ("case list, q=search", "caseworker", "/cases?q=searched"),
        ("case list, overdue", "caseworker", "/cases?overdue=true"),
        ("case page", "admin", lambda i: f"/cases/{1 + i % n_cases}"),
        ("officer profile", "caseworker", lambda i: f"/officers/{officers[i % len(officers)]}"),
        ("overdue dashboard", "caseworker", "/overdue"),
        ("import page", "admin", "/import"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page (100)")
    parser.add_argument("--quick", action="store_true", help="20 requests per page")
    add_common_args(parser)
    args = parser.parse_args()
    n = 20 if args.quick else args.requests
    print_header("web: page server time with the demo data", args.wait_idle)
    with temp_dir(args.tmp, "ow-bench-web-") as tmp:
        port = free_port()
        proc = start(tmp, port, tmp / "serve.log")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                cookies = {
                    "public": "",
                    "caseworker": session_cookie(client, "demo-caseworker"),
                    "admin": session_cookie(client, "demo-admin"),
                }
                listed = client.get("/api/v1/officers", params={"force": "metropolitan"})
                officers = (
                    [o["id"] for o in listed.json()][:10]
                    if listed.status_code == 200
                    else [1, 2, 3]
                )
                todo = pages(120, officers or [1])
                server: dict[str, list[float]] = {label: [] for label, _, _ in todo}
                latency: dict[str, list[float]] = {label: [] for label, _, _ in todo}
                for i in range(n + 1):  # round 0 untimed: warm-up and checks
                    for label, who, path in todo:
                        url = path(i) if callable(path) else path
                        headers = {"Cookie": cookies[who]} if cookies[who] else {}
                        t = time.perf_counter()
                        answer = client.get(url, headers=headers)
                        took = time.perf_counter() - t
                        assert answer.status_code == 200, (
                            url,
                            answer.status_code,
                            answer.text[:200],
                        )
                        if i == 0:
                            continue
                        dur = re.search(r"app;dur=([0-9.]+)", answer.headers["server-timing"])
                        assert dur, answer.headers
                        server[label].append(float(dur.group(1)) / 1000)
                        latency[label].append(took)
                    if i and i % 25 == 0:
                        print(f"     round {i}/{n}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    floor = stats(server["taxonomy API (floor)"])
    rows = []
    for label, _, _ in todo:
        s, c = stats(server[label]), stats(latency[label])
        is_floor = label.startswith("taxonomy")
        rows.append(
            Row(
                f"{label}" + ("" if is_floor else " (server time)"),
                f"p50 {ms(s['median'])}, p95 {ms(s['p95'])}, max {ms(s['max'])}",
                f"client latency p50 {ms(c['median'])}, p95 {ms(c['p95'])}"
                + ("" if is_floor else f"; floor p95 {ms(floor['p95'])}"),
                "—" if is_floor else f"p95 < {TARGET * 1000:.0f} ms",
                None if is_floor else s["p95"] < TARGET,
            )
        )
    print_table(rows)
    write_json(args.json, "web", rows, {"requests": n})
    print_footer()


if __name__ == "__main__":
    main()
