"""Metadata extraction against the real samples' documented values, and against broken files.

Expected values come from /work/shared/data/media/README.md (the source repositories' own
assertions where they exist, otherwise the tool read-out recorded there). Where a sample does
not match the README, the test says so next to the value.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import socket
import struct
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import c2pa as c2pa_lib
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from openwitness.evidence.metadata import extract_metadata, parse_iso6709
from openwitness.evidence.sniff import SNIFF_BYTES, sniff_media_type
from tests.evidence.media_factory import encode_audio, write_frames

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO.parent / "shared" / "data" / "media"

if not MEDIA.is_dir():
    pytest.skip(
        f"{MEDIA} is missing: these tests read the real media samples in ../shared/data/media",
        allow_module_level=True,
    )

KEYS = {
    "capture_time",
    "capture_time_zone_known",
    "gps",
    "device",
    "duration_s",
    "width",
    "height",
    "rotation",
    "codecs",
    "c2pa",
    "errors",
}
H264_AAC = [{"type": "video", "codec": "h264"}, {"type": "audio", "codec": "aac"}]
UNTRUSTED = "signingCredential.untrusted"  # expected: fixtures use the C2PA test certificate
TEST_CERT = "C2PA Test Signing Cert"


def gps(lat: float, lon: float, alt: float | None = None) -> dict[str, float | None]:
    return {"lat": lat, "lon": lon, "alt": alt}


def device(
    make: str | None = None, model: str | None = None, software: str | None = None
) -> dict[str, str | None]:
    return {"make": make, "model": model, "software": software}


def image(
    time: str | None, zone: bool | None, where: dict[str, float | None] | None,
    who: dict[str, str | None], size: tuple[int, int], c2pa: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "capture_time": time,
        "capture_time_zone_known": zone,
        "gps": where,
        "device": who,
        "duration_s": None,
        "width": size[0],
        "height": size[1],
        "rotation": None,
        "codecs": [],
        "c2pa": c2pa,
        "errors": [],
    }


def c2pa(
    state: str, codes: list[str], count: int, generator: str, signed_at: str | None,
    ingredients: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    return {
        "validation_state": state,
        "status_codes": codes,
        "manifest_count": count,
        "claim_generator": generator,
        "issuer": TEST_CERT,
        "signed_at": signed_at,
        "ingredients": ingredients,
    }


def ingredient(title: str, relationship: str, codes: list[str]) -> dict[str, Any]:
    return {"title": title, "relationship": relationship, "status_codes": codes}


NO_C2PA_EXIF = device()
GEN_033 = "make_test_images/0.33.1 c2pa-rs/0.33.1"
A_JPG = ingredient("A.jpg", "parentOf", [])

EXPECTED: dict[str, dict[str, Any]] = {
    "ianare__exif-samples/jpg/gps/DSCN0010.jpg": image(
        "2008-10-22T16:28:39", False, gps(43.4674483, 11.8851267),
        device("NIKON", "COOLPIX P6000", "Nikon Transfer 1.1 W"), (640, 480),
    ),
    "ianare__exif-samples/jpg/hdr/iphone_hdr_YES.jpg": image(
        "2015-04-10T20:12:23", False, gps(40.4469722, -3.7247528, 11513 / 18),
        device("Apple", "iPhone 6", "8.3"), (3264, 2448),
    ),
    "ianare__exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg": image(
        "2022-08-14T14:12:31+03:00", True, gps(60.1467056, 24.9067722),
        device("HMD Global", "Nokia 8.3 5G", "00WW_3_380_SP02"), (4608, 1976),
    ),
    # GPS IFD holds only GPSVersionID: no location.
    "ianare__exif-samples/jpg/Canon_40D.jpg": image(
        "2008-05-30T15:56:01", False, None, device("Canon", "Canon EOS 40D", "GIMP 2.4.5"),
        (100, 68),
    ),
    # README: "JPEG without any EXIF block". Not so: an EXIF APP1 segment follows the XMP one
    # (exifread's own JPEG walker stops at the XMP segment, Pillow finds it). It has Software and
    # a DateTime (modification time) but no DateTimeOriginal, make, model or GPS.
    "ianare__exif-samples/jpg/xmp/no_exif.jpg": image(
        None, None, None, device(software="Adobe Photoshop CC (Macintosh)"), (322, 466),
    ),
    # GPSInfo pointer with an empty GPS IFD: no location, no crash.
    "ianare__exif-samples/jpg/tests/45-gps_ifd.jpg": image(
        "2012-06-23T06:55:49", False, None,
        device("Polyphony Digital Inc.", "Gran Turismo 5", "PMB Service Uploader"), (1600, 900),
    ),
    "ianare__exif-samples/heic/IMG_5195.HEIC": image(
        "2021-04-11T15:47:53-05:00", True, gps(39.0513444, -94.2887722, 244927 / 940),
        device("Apple", "iPhone 11 Pro Max", "14.4.2"), (2566, 3313),
    ),
    # No DateTimeOriginal/Digitized (only the DateTime modification stamp): no capture time.
    "ianare__exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif": image(
        None, None, gps(40.6629935, -3.7637405, 4701593 / 5000),
        device(software="00WW_2_270_SP04"), (4608, 3456),
    ),
    # Values the source's unit test asserts (ExifMetaDataTests.testJpegIPhone).
    "otto001__SwiftVideoUtils/Tests/SwiftVideoUtils/TestImage-iPhone.jpg": image(
        "2024-09-13T16:21:05-07:00", True, gps(36.05365283333333, -112.0832445, 2192.6988505747127),
        device("Apple", "iPhone 13 Pro", "17.6.1"), (4032, 3024),
    ),
    "otto001__SwiftVideoUtils/Tests/SwiftVideoUtils/TestImage.heic": image(
        "2018-03-30T12:14:19", False, gps(37.7600778, -122.5095667, 6568 / 1433),
        device("Apple", "iPhone X", "12.0"), (4032, 3024),
    ),
    "jmathai__elodie/elodie/tests/files/photo.heic": image(
        "2019-05-26T10:33:20", False, None, device("Apple", "iPhone 8", "12.2"), (100, 74),
    ),
    "jmathai__elodie/elodie/tests/files/with-location.jpg": image(
        "2015-12-05T00:59:26", False, gps(37.3667027222, -122.033383611),
        device("Canon", "Canon EOS REBEL T2i", "Adobe Photoshop CC 2015 (Macintosh)"), (100, 150),
    ),
    "jmathai__elodie/elodie/tests/files/with-location-inv.jpg": image(
        "2015-12-05T00:59:26", False, gps(-37.3667027222, 122.033383611),
        device("Canon", "Canon EOS REBEL T2i", "Adobe Photoshop CC 2015 (Macintosh)"), (100, 150),
    ),
    "jmathai__elodie/elodie/tests/files/video.mov": {
        "capture_time": "2015-01-19T12:45:11-08:00",  # com.apple.quicktime.creationdate
        "capture_time_zone_known": True,
        "gps": gps(38.1893, -119.9558, 2004.158),
        "device": device("Apple", "iPhone 5", "8.1.2"),
        "duration_s": 1.008,
        "width": 1920,
        "height": 1080,
        "rotation": 0,
        "codecs": H264_AAC,
        "c2pa": None,
        "errors": [],
    },
    "jcodec__jcodec/src/test/resources/metaedit/keyed.mp4": {
        "capture_time": "2017-07-13T19:16:41+00:00",  # mvhd creation time, UTC by definition
        "capture_time_zone_known": True,
        "gps": gps(33.9951, -118.4762),  # udta/©xyz "+33.9951-118.4762/"
        "device": device(software="Android 7.1.2"),  # keyed com.android.version
        "duration_s": 11.371,
        "width": 1920,
        "height": 1080,
        "rotation": 90,
        "codecs": H264_AAC,
        "c2pa": None,
        "errors": [],
    },
    "jcodec__jcodec/src/test/resources/zhuker/1D158634-69DF-4C7F-AB6F-CCC83F04FEDB/1.mp4": {
        "capture_time": "2015-05-07T18:28:39+00:00",
        "capture_time_zone_known": True,
        "gps": None,
        "device": device(),
        "duration_s": 1.037,
        "width": 352,
        "height": 288,
        "rotation": 0,
        "codecs": H264_AAC,
        "c2pa": None,
        "errors": [],
    },
    "contentauth__c2pa-rs/sdk/tests/fixtures/C.jpg": image(
        None, None, None, NO_C2PA_EXIF, (2048, 1365),
        c2pa("Valid", [UNTRUSTED], 1, GEN_033, "2024-08-06T21:53:37+00:00", []),
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/CA.jpg": image(
        None, None, None, NO_C2PA_EXIF, (1024, 683),
        c2pa("Valid", [UNTRUSTED], 1, GEN_033, "2024-08-06T21:53:37+00:00", [A_JPG]),
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/XCA.jpg": image(
        None, None, None, NO_C2PA_EXIF, (1024, 683),
        c2pa(
            "Invalid", [UNTRUSTED, "assertion.dataHash.mismatch"], 1, GEN_033,
            "2024-08-06T21:53:37+00:00", [A_JPG],
        ),
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/E-sig-CA.jpg": image(
        None, None, None, NO_C2PA_EXIF, (1024, 683),
        c2pa(
            "Invalid", [UNTRUSTED, "claimSignature.mismatch"], 1,
            "make_test_xxxxxx/0.33.1 c2pa-rs/0.33.1", None, [A_JPG],
        ),
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/CIE-sig-CA.jpg": image(
        None, None, None, NO_C2PA_EXIF, (2048, 1365),
        c2pa(
            "Valid", [UNTRUSTED, UNTRUSTED], 2, "make_test_images/0.55.0",
            "2025-05-30T03:15:13+00:00",
            [ingredient("E-sig-CA.jpg", "componentOf", ["claimSignature.mismatch"])],
        ),
    ),
    # Only Photoshop's Software and DateTime (modification) tags: no capture time.
    "contentauth__c2pa-rs/sdk/tests/fixtures/no_manifest.jpg": image(
        None, None, None,
        device(software="Adobe Photoshop 24.1 (20221029.m.1946 73a94a1)  (Macintosh)"),
        (2100, 1500),
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/video1.mp4": {
        "capture_time": "2022-08-08T21:49:00+00:00",
        "capture_time_zone_known": True,
        "gps": None,
        "device": device(),
        "duration_s": 2.0,
        "width": 720,
        "height": 1280,
        "rotation": 0,
        "codecs": H264_AAC,
        "c2pa": c2pa(
            "Valid", [UNTRUSTED, UNTRUSTED], 2, "TestApp c2patool/0.6.2 c2pa-rs/0.28.2",
            "2023-12-02T16:34:19+00:00", [ingredient("video1.mp4", "parentOf", [])],
        ),
        "errors": [],
    },
}  # fmt: skip


def extract(path: Path) -> dict[str, object]:
    """Sniff then extract, as the intake service does, and check the result's shape."""
    with path.open("rb") as fh:
        media_type = sniff_media_type(fh.read(SNIFF_BYTES))
    assert media_type is not None
    return checked(extract_metadata(path, media_type))


def checked(result: dict[str, object]) -> dict[str, object]:
    assert set(result) == KEYS
    assert json.loads(json.dumps(result)) == result  # JSON-serialisable, losslessly
    assert isinstance(result["errors"], list)
    for error in result["errors"]:
        assert set(error) == {"extractor", "reason"}
        assert error["extractor"] and len(error["reason"]) > 10
    return result


def test_every_sample_has_expectations_and_documented_bytes() -> None:
    manifest = json.loads((MEDIA / "manifest.json").read_text())
    documented = {entry["file"]: entry["sha256"] for entry in manifest["files"]}
    assert set(documented) == set(EXPECTED)
    for relative, sha256 in documented.items():
        assert hashlib.sha256((MEDIA / relative).read_bytes()).hexdigest() == sha256, relative


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_real_sample(relative: str) -> None:
    expected = EXPECTED[relative]
    result = extract(MEDIA / relative)

    assert result["errors"] == expected["errors"]
    for key in ("capture_time", "capture_time_zone_known", "device", "width", "height"):
        assert result[key] == expected[key], key
    for key in ("rotation", "codecs", "c2pa"):
        assert result[key] == expected[key], key

    if expected["gps"] is None:
        assert result["gps"] is None
    else:
        where = result["gps"]
        assert isinstance(where, dict)
        assert where["lat"] == pytest.approx(expected["gps"]["lat"], abs=1e-5)
        assert where["lon"] == pytest.approx(expected["gps"]["lon"], abs=1e-5)
        if expected["gps"]["alt"] is None:
            assert where["alt"] is None
        else:
            assert where["alt"] == pytest.approx(expected["gps"]["alt"], abs=1e-3)

    if expected["duration_s"] is None:
        assert result["duration_s"] is None
    else:
        assert result["duration_s"] == pytest.approx(expected["duration_s"], abs=0.01)


# --- broken files: never raise, say what failed -----------------------------------------------


def errors_by_extractor(result: dict[str, object]) -> dict[str, str]:
    errors = result["errors"]
    assert isinstance(errors, list)
    return {e["extractor"]: e["reason"] for e in errors}


def test_truncated_video(tmp_path: Path) -> None:
    original = (MEDIA / "jmathai__elodie/elodie/tests/files/video.mov").read_bytes()
    path = tmp_path / "cut.mov"
    path.write_bytes(original[: len(original) * 30 // 100])  # the moov box is at the end

    result = checked(extract_metadata(path, "video/quicktime"))

    failures = errors_by_extractor(result)
    assert "av" in failures
    assert "PyAV" in failures["av"]
    assert str(tmp_path) not in failures["av"]  # no server paths in stored metadata
    assert result["duration_s"] is None and result["codecs"] == []
    assert result["gps"] is None and result["capture_time"] is None


def _app1_exif_offset(data: bytes) -> int:
    """Offset of the TIFF header inside the first EXIF APP1 segment."""
    pos = 2
    while data[pos] == 0xFF:
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            return pos + 10
        pos += 2 + length
    raise AssertionError("no EXIF APP1 segment")


@pytest.mark.filterwarnings("ignore:(Tag data larger|Corrupt EXIF):UserWarning")
def test_corrupted_exif_entries(tmp_path: Path) -> None:
    data = bytearray((MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg").read_bytes())
    tiff = _app1_exif_offset(bytes(data))
    data[tiff + 8 : tiff + 8 + 64] = b"\xff" * 64  # IFD0's entry count and first entries
    path = tmp_path / "corrupt-exif.jpg"
    path.write_bytes(bytes(data))

    result = checked(extract_metadata(path, "image/jpeg"))

    failures = errors_by_extractor(result)
    assert "exif" in failures and "corrupt" in failures["exif"]
    assert (result["width"], result["height"]) == (640, 480)  # the picture itself still reads


def test_corrupted_exif_header(tmp_path: Path) -> None:
    data = bytearray((MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg").read_bytes())
    tiff = _app1_exif_offset(bytes(data))
    data[tiff : tiff + 8] = b"\xde\xad\xbe\xef\xde\xad\xbe\xef"
    path = tmp_path / "bad-tiff-header.jpg"
    path.write_bytes(bytes(data))

    result = checked(extract_metadata(path, "image/jpeg"))

    assert "TIFF header" in errors_by_extractor(result)["exif"]
    assert result["gps"] is None and result["capture_time"] is None
    assert (result["width"], result["height"]) == (640, 480)


def test_garbage_after_jpeg_magic(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(8192)
    path = tmp_path / "garbage.jpg"
    path.write_bytes(b"\xff\xd8\xff" + noise)
    assert sniff_media_type(path.read_bytes()) == "image/jpeg"

    result = checked(extract_metadata(path, "image/jpeg"))

    failures = errors_by_extractor(result)
    assert "image" in failures and "Pillow" in failures["image"]
    assert result["width"] is None and result["c2pa"] is None


def test_garbage_after_mp4_magic(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mp4"
    path.write_bytes(
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + random.Random(3).randbytes(4096)
    )

    result = checked(extract_metadata(path, "video/mp4"))

    assert "av" in errors_by_extractor(result)


def test_missing_file_and_unknown_type_do_not_raise(tmp_path: Path) -> None:
    missing = checked(extract_metadata(tmp_path / "gone.jpg", "image/jpeg"))
    assert {"image", "exif"} <= set(errors_by_extractor(missing))
    unknown = checked(extract_metadata(tmp_path / "gone.bin", "application/x-msdownload"))
    assert set(errors_by_extractor(unknown)) == {"dispatch"}


def test_c2pa_never_fetches_a_remote_manifest(tmp_path: Path) -> None:
    """A file that points to its manifest by URL must not make intake connect anywhere."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/manifest.c2pa"
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    path = tmp_path / "remote.jpg"
    Image.new("RGB", (8, 8)).save(path, "JPEG", xmp=xmp)
    connections: list[int] = []
    stop = threading.Event()

    def refuse_all() -> None:  # accept and drop at once, so a client fails fast
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                listener.accept()[0].close()
                connections.append(1)

    watcher = threading.Thread(target=refuse_all, daemon=True)
    with listener:
        watcher.start()
        try:
            result = checked(extract_metadata(path, "image/jpeg"))
            time.sleep(0.2)
            assert connections == []
            assert result["c2pa"] is None
            assert "remote" in errors_by_extractor(result)["c2pa"].lower()

            # Control: with c2pa-rs defaults the same file does make a request.
            with path.open("rb") as fh, contextlib.suppress(c2pa_lib.C2paError):
                c2pa_lib.Reader.try_create("image/jpeg", fh)
            time.sleep(0.2)
            assert connections != []
        finally:
            stop.set()
            watcher.join()


# --- EXIF cases no sample covers ----------------------------------------------------------------


def _jpeg_with_exif(path: Path, gps_ifd: dict[int, object], offset: str | None) -> Path:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Make X", "Model Y", "Firmware 1"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2023:01:02 03:04:05"
    if offset is not None:
        sub[0x9011] = offset
    exif.get_ifd(0x8825).update(gps_ifd)
    Image.new("RGB", (16, 12)).save(path, "JPEG", exif=exif)
    return path


def test_south_east_below_sea_level_with_offset(tmp_path: Path) -> None:
    where = {
        1: "S",
        2: (IFDRational(33), IFDRational(51), IFDRational(5436, 100)),
        3: "E",
        4: (IFDRational(151), IFDRational(12), IFDRational(36)),
        5: b"\x01",  # below sea level
        6: IFDRational(125, 10),
    }
    result = checked(
        extract_metadata(_jpeg_with_exif(tmp_path / "a.jpg", where, "+10:00"), "image/jpeg")
    )
    assert result["errors"] == []
    assert result["capture_time"] == "2023-01-02T03:04:05+10:00"
    assert result["capture_time_zone_known"] is True
    assert result["gps"] == {
        "lat": pytest.approx(-(33 + 51 / 60 + 54.36 / 3600)),
        "lon": pytest.approx(151 + 12 / 60 + 36 / 3600),
        "alt": pytest.approx(-12.5),
    }
    assert result["device"] == device("Make X", "Model Y", "Firmware 1")


def test_gps_with_zero_denominator_is_an_error_not_a_crash(tmp_path: Path) -> None:
    where = {1: "N", 2: (IFDRational(33), IFDRational(1, 0), IFDRational(0)), 3: "W", 4: (1, 2, 3)}
    result = checked(
        extract_metadata(_jpeg_with_exif(tmp_path / "b.jpg", where, None), "image/jpeg")
    )
    assert result["gps"] is None
    assert "GPS" in errors_by_extractor(result)["exif"]
    assert result["capture_time"] == "2023-01-02T03:04:05"  # the rest is still read
    assert result["capture_time_zone_known"] is False


# --- ISO 6709 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+33.9951-118.4762/", gps(33.9951, -118.4762)),
        ("+37.7858-122.4064+000.000/", gps(37.7858, -122.4064, 0.0)),
        ("+38.1893-119.9558+2004.158/", gps(38.1893, -119.9558, 2004.158)),
        ("-33.8651+151.2099-012.5/", gps(-33.8651, 151.2099, -12.5)),
        ("+48.8577+002.2950+035.0CRSWGS_84/", gps(48.8577, 2.295, 35.0)),
        ("+3745.15-12230.57/", gps(37 + 45.15 / 60, -(122 + 30.57 / 60))),
        ("+374509.0-1223034.0/", gps(37 + 45 / 60 + 9 / 3600, -(122 + 30 / 60 + 34 / 3600))),
        ("+40.7-074.0", gps(40.7, -74.0)),
    ],
)
def test_iso6709(text: str, expected: dict[str, float | None]) -> None:
    point = parse_iso6709(text)
    assert point is not None
    assert point["lat"] == pytest.approx(expected["lat"], abs=1e-9)
    assert point["lon"] == pytest.approx(expected["lon"], abs=1e-9)
    assert point["alt"] == (None if expected["alt"] is None else pytest.approx(expected["alt"]))


@pytest.mark.parametrize(
    "text", ["", "garbage", "+91.0000-118.4762/", "+33.99-181.00/", "+33.9951/", "33.9-118.4/"]
)
def test_iso6709_rejects(text: str) -> None:
    assert parse_iso6709(text) is None


def _tagged_mov(path: Path, tags: dict[str, str]) -> Path:
    with av.open(str(path), "w", format="mov") as out:  # the mov muxer writes ©xyz verbatim
        out.metadata.update(tags)
        write_frames(out, out.add_stream("mpeg4", rate=10))
    return path


def test_android_style_location_and_dated_tags(tmp_path: Path) -> None:
    tags = {"location": "+37.7858-122.4064+000.000/", "date": "2020-01-01T10:00:00+0200"}
    result = checked(extract_metadata(_tagged_mov(tmp_path / "t.mov", tags), "video/quicktime"))
    assert result["errors"] == []
    assert result["gps"] == {"lat": 37.7858, "lon": -122.4064, "alt": 0.0}
    assert result["capture_time"] == "2020-01-01T10:00:00+02:00"
    assert result["capture_time_zone_known"] is True


def test_bad_video_location_tag_is_reported(tmp_path: Path) -> None:
    path = _tagged_mov(tmp_path / "t.mov", {"location": "somewhere nice"})
    result = checked(extract_metadata(path, "video/quicktime"))
    assert "ISO 6709" in errors_by_extractor(result)["av"]
    assert result["gps"] is None
    assert result["codecs"] == [{"type": "video", "codec": "mpeg4"}]  # the rest is still read


# --- media encoded here: rotation and the containers no sample covers ---------------------------


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotation_agrees_with_ffmpeg(tmp_path: Path, degrees: int) -> None:
    path = tmp_path / f"rotated-{degrees}.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.set_display_rotation(degrees)
        write_frames(out, stream)
    with av.open(str(path)) as container:
        counter_clockwise = next(container.decode(video=0)).rotation

    result = checked(extract_metadata(path, "video/mp4"))

    # FFmpeg gives the counter-clockwise angle to undo; we report the clockwise display
    # rotation, as MediaInfo does for keyed.mp4 ("90" where ffprobe says -90).
    assert result["rotation"] == (-counter_clockwise) % 360
    assert result["rotation"] != 0


@pytest.mark.parametrize(
    ("name", "fmt", "codec", "rate", "opts", "expected_codec"),
    [
        ("a.opus", "ogg", "libopus", 48000, {}, "opus"),
        ("a.ogg", "ogg", "vorbis", 44100, {"strict": "experimental"}, "vorbis"),
        ("a.wav", "wav", "pcm_s16le", 16000, {}, "pcm_s16le"),
        ("a.mp3", "mp3", "libmp3lame", 44100, {}, "mp3"),
        ("a.aac", "adts", "aac", 44100, {}, "aac"),
        ("a.amr", "amr", "libopencore_amrnb", 8000, {}, "amr_nb"),
        ("a.m4a", "ipod", "aac", 44100, {}, "aac"),
    ],
)
def test_audio_encoded_here(
    tmp_path: Path, name: str, fmt: str, codec: str, rate: int, opts: dict[str, str],
    expected_codec: str,
) -> None:  # fmt: skip
    layout = "stereo" if codec == "vorbis" else "mono"  # FFmpeg's own Vorbis encoder: stereo only
    path = tmp_path / name
    path.write_bytes(encode_audio(fmt, codec, rate, layout, opts, seconds=0.5))
    media_type = sniff_media_type(path.read_bytes()[:SNIFF_BYTES])
    assert media_type is not None and media_type.startswith("audio/")

    result = checked(extract_metadata(path, media_type))

    assert result["errors"] == []
    assert result["codecs"] == [{"type": "audio", "codec": expected_codec}]
    assert result["duration_s"] == pytest.approx(0.5, abs=0.1)
    assert result["width"] is None and result["rotation"] is None and result["gps"] is None


def test_cover_art_is_not_a_video_track(tmp_path: Path) -> None:
    cover = io.BytesIO()
    Image.new("RGB", (8, 8)).save(cover, "JPEG")
    path = tmp_path / "song.mp3"
    with av.open(str(path), "w", format="mp3") as out:
        audio = out.add_stream("libmp3lame", rate=44100, layout="mono")
        picture = out.add_stream("mjpeg", rate=1)
        picture.width, picture.height, picture.pix_fmt = 8, 8, "yuvj420p"
        picture.disposition = av.stream.Disposition.attached_pic
        packet = av.Packet(cover.getvalue())
        packet.stream, packet.pts, packet.dts = picture, 0, 0
        out.mux(packet)
        for index in range(10):
            frame = av.AudioFrame(
                format=audio.codec_context.format.name, layout="mono", samples=1152
            )
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = 44100, index * 1152
            frame.time_base = Fraction(1, 44100)
            for encoded in audio.encode(frame):
                out.mux(encoded)
        for encoded in audio.encode(None):
            out.mux(encoded)
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["audio", "video"]  # the APIC frame

    result = checked(extract_metadata(path, "audio/mpeg"))

    assert result["errors"] == []
    assert result["codecs"] == [{"type": "audio", "codec": "mp3"}]
    assert result["width"] is None


@pytest.mark.parametrize(("fmt", "codec"), [("webm", "vp8"), ("matroska", "mpeg4")])
def test_matroska_family_encoded_here(tmp_path: Path, fmt: str, codec: str) -> None:
    path = tmp_path / "clip"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libvpx" if codec == "vp8" else codec, rate=10)
        write_frames(out, stream, count=10)
    media_type = sniff_media_type(path.read_bytes()[:SNIFF_BYTES])
    assert media_type in ("video/webm", "video/x-matroska")

    result = checked(extract_metadata(path, media_type))

    assert result["errors"] == []
    assert result["codecs"] == [{"type": "video", "codec": codec}]
    assert (result["width"], result["height"]) == (64, 48)
    assert result["duration_s"] == pytest.approx(1.0, abs=0.15)
    assert result["c2pa"] is None  # c2pa-rs reads no Matroska; that is not an error
    software = result["device"]
    assert isinstance(software, dict) and str(software["software"]).startswith("Lavf")


def test_png_and_webp_and_pdf(tmp_path: Path) -> None:
    for fmt, media_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        path = tmp_path / f"x.{fmt.lower()}"
        Image.new("RGB", (33, 21)).save(path, fmt)
        assert sniff_media_type(path.read_bytes()) == media_type
        result = checked(extract_metadata(path, media_type))
        assert result["errors"] == [] and (result["width"], result["height"]) == (33, 21)
        assert result["gps"] is None and result["capture_time"] is None

    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    result = checked(extract_metadata(pdf, "application/pdf"))
    assert result["c2pa"] is None and result["width"] is None and result["codecs"] == []


def test_extraction_reads_from_bytes_not_names(tmp_path: Path) -> None:
    """The staged upload has no extension; everything still works from the sniffed type."""
    staged = tmp_path / "upload-7f3a"
    staged.write_bytes((MEDIA / "jmathai__elodie/elodie/tests/files/video.mov").read_bytes())
    result = extract(staged)
    assert result["gps"] == {"lat": 38.1893, "lon": -119.9558, "alt": 2004.158}
    assert result["errors"] == []
