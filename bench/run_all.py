"""Run every benchmark in sequence and print one combined results table (Markdown).

Each benchmark runs as its own process, with its own output shown as it goes; the combined
table at the end is the one recorded in bench/README.md. Exit status is non-zero only if a
benchmark failed to *run* (a crash, a wrong proof): missed targets are reported, not failed.

Run:  .venv/bin/python bench/run_all.py                   (full sizes: ~15-25 minutes)
      .venv/bin/python bench/run_all.py --quick           (a couple of minutes)
      .venv/bin/python bench/run_all.py --only proofs verify_receipt
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, machine_info, markdown_table

BENCH = Path(__file__).resolve().parent
ORDER = ("ingest", "log_append", "proofs", "verify_receipt", "cases")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument("--only", nargs="+", choices=ORDER, help="run only these")
    parser.add_argument("--tmp", default="/tmp", help="temporary files and databases (/tmp)")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="each benchmark first waits up to this long for idle CPUs (default 0)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the combined table here")
    args = parser.parse_args()

    names = args.only or ORDER
    rows: list[Row] = []
    failed: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wbench-all-", dir=args.tmp) as out:
        for name in names:
            json_path = Path(out) / f"{name}.json"
            cmd = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(json_path)]
            cmd += ["--tmp", args.tmp, "--wait-idle", str(args.wait_idle)]
            if args.quick:
                cmd.append("--quick")
            t0 = time.perf_counter()
            code = subprocess.run(cmd, check=False).returncode
            print(f"   [{name}: exit {code}, {time.perf_counter() - t0:.0f} s]\n", flush=True)
            if code != 0 or not json_path.exists():
                failed.append(name)
                continue
            for row in json.loads(json_path.read_text())["rows"]:
                rows.append(Row(**row))

    info = machine_info()
    text = [
        f"Measured {info['date']} on {info['cores']} cores ({info['cpu']}), {info['memory']} "
        f"RAM, Python {info['python']}, SQLite {info['sqlite']}, Linux {info['kernel']}"
        + (" (--quick sizes)" if args.quick else "")
        + f"; total {time.perf_counter() - started:.0f} s.",
        "",
        markdown_table(rows),
    ]
    if failed:
        text += ["", f"FAILED to run: {', '.join(failed)}"]
    print("\n".join(text))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(text) + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
