"""Ingest of a large video through the vault, against `sha256sum` and `cp && sync` on the same file.

The test file is a real phone video (jcodec's keyed.mp4) followed by a top-level ISO-BMFF
``free`` box of random bytes that pads it to the requested size, so it sniffs as video/mp4 and
its metadata can still be read. Each ingest runs in a child process (a fresh data folder each
time) so that its peak RSS can be measured on its own (``wait4`` rusage, plus the child's own
VmHWM before and after the ingest).

The page cache cannot be dropped here (no root-only /proc/sys/vm/drop_caches on every machine),
so the file is read once before anything is timed: every reader then finds it in the cache, and
the figures compare CPU + write + fsync work, not cold reads.

Run:  .venv/bin/python bench/ingest.py            (1 GiB, 3 repetitions)
      .venv/bin/python bench/ingest.py --quick    (64 MiB)
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    MEDIA,
    Row,
    add_common_args,
    print_footer,
    print_header,
    print_table,
    temp_dir,
    write_json,
)

VIDEO = MEDIA / "jcodec__jcodec/src/test/resources/metaedit/keyed.mp4"
RATIO_TARGET = 1.25
RSS_TARGET_BYTES = 150 * 1000 * 1000  # "150 MB"
CHUNK = 16 * 1024 * 1024


def make_test_file(path: Path, video: Path, size: int) -> None:
    """``video`` then one top-level ``free`` box of random bytes, ``size`` bytes in all."""
    head = video.read_bytes()
    pad = size - len(head)
    if pad < 16:
        raise SystemExit(f"--size must be at least {len(head) + 16} bytes")
    if pad <= 0xFFFFFFFF:
        header = struct.pack(">I4s", pad, b"free")
    else:  # a box over 4 GiB needs size=1 and a 64-bit largesize after the type
        header = struct.pack(">I4sQ", 1, b"free", pad)
    remaining = pad - len(header)
    with path.open("wb") as out:
        out.write(head)
        out.write(header)
        while remaining:
            n = min(CHUNK, remaining)
            out.write(os.urandom(n))
            remaining -= n
    assert path.stat().st_size == size


def warm_read(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb", buffering=0) as handle:
        buf = bytearray(CHUNK)
        while handle.readinto(buf):
            pass
    return time.perf_counter() - start


def time_hashlib(path: Path) -> float:
    """Python's own streaming SHA-256 of the file (OpenSSL; uses SHA-NI where the CPU has it)."""
    start = time.perf_counter()
    with path.open("rb") as handle:
        hashlib.file_digest(handle, "sha256")
    return time.perf_counter() - start


def time_python_copy(path: Path, target: Path) -> float:
    """What the vault does minus the hashing: 1 MiB reads, os.write to a new file, fsync."""
    start = time.perf_counter()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with path.open("rb") as source:
            while chunk := source.read(1024 * 1024):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def sync() -> None:
    subprocess.run(["sync"], check=True)


def time_cmd(cmd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True)
    return time.perf_counter() - start


# -- the child process ---------------------------------------------------------------------


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def child(file: Path, home: Path, profile: bool) -> None:
    t0 = time.perf_counter()
    from openwitness import services as services_module
    from openwitness.core.config import Settings

    t1 = time.perf_counter()
    settings = Settings(home=home, database_url=f"sqlite:///{home}/db")
    svc, _ = services_module.initialise(settings, "bench.local/log")
    t2 = time.perf_counter()
    hwm_before = _vm_hwm_kib()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    start = time.perf_counter()
    result = svc.vault.ingest_file(file)
    ingest_s = time.perf_counter() - start
    if profiler:
        profiler.disable()
    hwm_after = _vm_hwm_kib()
    svc.close()
    report = {
        "import_s": t1 - t0,
        "init_s": t2 - t1,
        "ingest_s": ingest_s,
        "hwm_before_kib": hwm_before,
        "hwm_after_kib": hwm_after,
        "media_type": result.record.media_type,
        "sha256": result.record.sha256,
        "size": result.record.size,
        "metadata_keys": sorted(result.record.metadata),
    }
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        report["profile"] = out.getvalue()
    print("RESULT " + json.dumps(report), flush=True)


def run_child(file: Path, home: Path, profile: bool = False) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", str(file), str(home)]
    if profile:
        cmd.append("--profile")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"ingest child failed with exit code {proc.returncode}")
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    report: dict[str, object] = json.loads(line[len("RESULT ") :])
    report["maxrss_kib"] = usage.ru_maxrss  # Linux: KiB, this child only (wait4)
    report["child_wall_s"] = wall
    return report


def time_witness_add(file: Path, home: Path) -> float:
    """`witness evidence add FILE` as a person runs it: the whole process, start-up included
    (the installation is made first, untimed)."""
    witness = str(Path(sys.executable).parent / "witness")
    env = {**os.environ, "OPENWITNESS_HOME": str(home),
           "OPENWITNESS_DATABASE_URL": f"sqlite:///{home}/db"}  # fmt: skip
    subprocess.run([witness, "init", "--origin", "bench.local/log"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    receipt = Path(f"{file}.tlog-proof")
    receipt.unlink(missing_ok=True)
    sync()
    start = time.perf_counter()
    subprocess.run([witness, "evidence", "add", str(file)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    receipt.unlink(missing_ok=True)
    return elapsed


# -- the benchmark -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="test file size (default 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--quick", action="store_true", help="64 MiB file, 2 repetitions")
    parser.add_argument("--video", type=Path, default=VIDEO, help="the real video to pad")
    parser.add_argument("--file", type=Path, help="use this existing file instead of making one")
    parser.add_argument(
        "--keep-file",
        action="store_true",
        help="make the test file outside the work folder and keep it (reuse it with --file)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also run one ingest under cProfile and print it"
    )
    parser.add_argument("--child", nargs=2, metavar=("FILE", "HOME"), help=argparse.SUPPRESS)
    add_common_args(parser)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.profile)
        return
    if args.quick:
        args.size_mib, args.repeat = 64, 2

    print_header(f"ingest of a {args.size_mib} MiB video through the vault", args.wait_idle)
    with temp_dir(args.tmp, "wbench-ingest-") as work:
        if args.file:
            file = args.file
        else:
            if not args.video.is_file():
                raise SystemExit(f"{args.video} is missing (the project's shared media)")
            file = work / "video.mp4"
            if args.keep_file:
                file = Path(args.tmp) / f"wbench-ingest-{args.size_mib}MiB.mp4"
            start = time.perf_counter()
            make_test_file(file, args.video, args.size_mib * 1024 * 1024)
            print(
                f"   made {file} ({file.stat().st_size:,} bytes: {args.video.name} + free box)"
                f" in {time.perf_counter() - start:.1f} s"
            )
        size = file.stat().st_size
        sync()
        warm = warm_read(file)
        print(
            f"   warm-up read (page cache cannot be dropped): {warm:.2f} s; "
            "all timings below read the file from the page cache"
        )

        copy = work / "copy"
        hashlib_t: list[float] = []
        sha_t: list[float] = []
        cp_t: list[float] = []
        pycopy_t: list[float] = []
        ingest: list[dict[str, object]] = []
        cli_t: list[float] = []
        for rep in range(args.repeat):
            sync()
            hashlib_t.append(time_hashlib(file))
            sha_t.append(time_cmd(f"sha256sum '{file}' > /dev/null"))
            sync()
            cp_t.append(time_cmd(f"cp '{file}' '{copy}' && sync"))
            copy.unlink()
            sync()
            pycopy_t.append(time_python_copy(file, copy))
            copy.unlink()
            sync()
            home = work / f"home{rep}"
            ingest.append(run_child(file, home))
            shutil.rmtree(home)
            cli_t.append(time_witness_add(file, home))
            shutil.rmtree(home)
            r = ingest[-1]
            print(
                f"   rep {rep + 1}: hashlib {hashlib_t[-1]:.2f} s, "
                f"sha256sum {sha_t[-1]:.2f} s, cp+sync {cp_t[-1]:.2f} s, "
                f"python copy+fsync {pycopy_t[-1]:.2f} s, "
                f"ingest {r['ingest_s']:.2f} s (child wall {r['child_wall_s']:.2f} s, "
                f"peak RSS {int(r['maxrss_kib']) / 1024:.0f} MiB), "
                f"`witness evidence add` {cli_t[-1]:.2f} s"
            )

        first = ingest[0]
        print(
            f"   sniffed as {first['media_type']}, metadata keys {first['metadata_keys']}, "
            f"size {first['size']:,}"
        )
        if first["media_type"] != "video/mp4":
            print("   WARNING: the padded file did not sniff as video/mp4")

        profile_text = None
        if args.profile:
            sync()
            home = work / "home-profile"
            profiled = run_child(file, home, profile=True)
            shutil.rmtree(home)
            profile_text = str(profiled["profile"])
            print("\n   cProfile of one ingest (cumulative):")
            print(profile_text)
    if args.keep_file and not args.file:
        print(f"   kept the test file {file} (pass it back with --file)")

    hashlib_med = statistics.median(hashlib_t)
    sha_med = statistics.median(sha_t)
    cp_med = statistics.median(cp_t)
    pycopy_med = statistics.median(pycopy_t)
    ing_med = statistics.median(float(r["ingest_s"]) for r in ingest)  # type: ignore[arg-type]
    slower = max(sha_med, cp_med)
    slower_name = "cp+sync" if cp_med >= sha_med else "sha256sum"
    ratio = ing_med / slower
    rss_kib = max(int(r["maxrss_kib"]) for r in ingest)  # type: ignore[call-overload]
    hwm_before = max(int(r["hwm_before_kib"]) for r in ingest)  # type: ignore[call-overload]
    rss_bytes = rss_kib * 1024
    gib = size / 1024**3
    mbps = size / 1e6 / ing_med
    cli_med = statistics.median(cli_t)
    rows = [
        Row(
            "`witness evidence add` / cp+sync (whole process)",
            f"{cli_med / cp_med:.2f}x",
            f"`witness evidence add` {cli_med:.2f} s; cp+sync {cp_med:.2f} s",
            f"<= {RATIO_TARGET:.2f}x",
            cli_med / cp_med <= RATIO_TARGET,
        ),
        Row(
            f"ingest {gib:.2f} GiB video (median of {args.repeat})",
            f"{ing_med:.2f} s ({mbps:.0f} MB/s)",
            f"sha256sum {sha_med:.2f} s; cp+sync {cp_med:.2f} s; "
            f"python hashlib.file_digest {hashlib_med:.2f} s; python 1 MiB read/write loop + "
            f"fsync (no hash) {pycopy_med:.2f} s",
            "—",
            None,
        ),
        Row(
            f"ingest / slower baseline ({slower_name})",
            f"{ratio:.2f}x",
            f"{slower_name} {slower:.2f} s",
            f"<= {RATIO_TARGET:.2f}x",
            ratio <= RATIO_TARGET,
        ),
        Row(
            "ingest / cp+sync, informational",
            f"{ing_med / cp_med:.2f}x",
            f"cp+sync {cp_med:.2f} s (coreutils sha256sum here is {size / 1e6 / sha_med:.0f} MB/s, "
            f"python hashlib {size / 1e6 / hashlib_med:.0f} MB/s)",
            "—",
            None,
        ),
        Row(
            "ingest / (python copy loop + hashlib), informational",
            f"{ing_med / (pycopy_med + hashlib_med):.2f}x",
            f"python read/write/fsync loop then hashlib, serially: "
            f"{pycopy_med + hashlib_med:.2f} s",
            "—",
            None,
        ),
        Row(
            "ingest / (cp+sync + hashlib), informational",
            f"{ing_med / (cp_med + hashlib_med):.2f}x",
            f"cp+sync then hashlib, serially: {cp_med + hashlib_med:.2f} s",
            "—",
            None,
        ),
        Row(
            "peak RSS of the ingesting process",
            f"{rss_bytes / 1e6:.0f} MB ({rss_kib / 1024:.0f} MiB)",
            f"same process before ingest (imports + initialise): {hwm_before * 1024 / 1e6:.0f} MB",
            "< 150 MB",
            rss_bytes < RSS_TARGET_BYTES,
        ),
    ]
    print_footer()
    print_table(rows)
    write_json(
        args.json,
        "ingest",
        rows,
        {
            "raw": {
                "hashlib": hashlib_t,
                "sha256sum": sha_t,
                "cp_sync": cp_t,
                "witness_evidence_add": cli_t,
                "python_copy": pycopy_t,
                "ingest": ingest,
            },
            "profile": profile_text,
        },
    )


if __name__ == "__main__":
    main()
