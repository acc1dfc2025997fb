// A live recording that has ended: its receipts as one bundle to download, the whole
// recording to play or download, a check in this browser that the whole file is exactly the
// parts this phone recorded (and that its receipt verifies), and "Attach to a report", which
// hands the recording to the report form as report.js expects (sessionStorage "ow-lodged").
// Once the bundle is in hand (downloaded, or the recording attached), the phone forgets the
// recording and its token.
"use strict";

const OW_LIVE_DONE = (() => {
  const $ = (id) => document.getElementById(id);
  const KEY = () => document.getElementById("live").dataset.logKey;
  let urls = [];

  const read = (name) => {
    try { return JSON.parse(sessionStorage.getItem(name)) || []; } catch { return []; }
  };
  const write = (name, value) => {
    try { sessionStorage.setItem(name, JSON.stringify(value)); } catch { /* private mode */ }
  };

  function objectUrl(blob) {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    return url;
  }

  function result(ok, heading, detail) {
    const box = $("live-check");
    box.hidden = false;
    box.className = ok ? "result result-ok" : "result result-bad";
    const h = document.createElement("h3");
    h.textContent = heading;
    const p = document.createElement("p");
    p.textContent = detail;
    box.replaceChildren(h, p);
  }

  function nameOf(rec) {
    const when = new Date(rec.startedAt);
    const pad = (n) => String(n).padStart(2, "0");
    return `Live recording ${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ` +
      `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  }

  async function fetchRecording(rec) {
    const response = await fetch(`/api/v1/live/${rec.id}/media`, {
      headers: { "X-Recording-Token": rec.token }, cache: "no-store",
    });
    if (!response.ok) throw new Error(`the site answered ${response.status}`);
    return response.blob();
  }

  function play(rec, blob) {
    const url = objectUrl(blob);
    const audio = rec.audioOnly || (blob.type || "").startsWith("audio/");
    const media = document.createElement(audio ? "audio" : "video");
    media.id = "live-media";
    media.controls = true;
    media.preload = "auto";
    media.playsInline = true;
    media.setAttribute("aria-label", "The whole recording");
    media.src = url;
    $("live-player").replaceChildren(media);
    const link = $("live-download");
    link.href = url;
    link.download = `recording-${rec.id}.${(blob.type || "").includes("mp4") ? "mp4" : "webm"}`;
    link.hidden = false;
  }

  // The whole file against the parts this phone hashed as it recorded them, and its receipt.
  async function check(rec, blob) {
    const whole = rec.finished.whole;
    const sha = await OW_HASH.sha256File(blob);
    if (sha !== whole.sha256 || blob.size !== whole.size) {
      return `the recording the site sent (SHA-256 ${sha}) is not the one it lodged (${whole.sha256})`;
    }
    const parts = rec.logged.slice().sort((a, b) => a.seq - b.seq);
    if (parts.length !== rec.recordedChunks || parts.some((part, i) => part.seq !== i)) {
      return `this phone recorded ${rec.recordedChunks} parts but has receipts for ${parts.length}`;
    }
    let at = 0;
    for (const part of parts) {
      const bytes = await blob.slice(at, at + part.size).arrayBuffer();
      if (TLOG.hex(await OW_LIVE.sha256(bytes)) !== part.sha) {
        return `part ${part.seq + 1} of the whole recording is not the part this phone recorded`;
      }
      at += part.size;
    }
    if (at !== blob.size) return "the whole recording is longer than the parts this phone recorded";
    try {
      await TLOG.verifyReceipt(rec.finished.receipt, KEY(), sha, blob.size);
    } catch (error) {
      return `its receipt does not verify: ${error instanceof TLOG.VerifyError ? error.message : error}`;
    }
    return null;
  }

  async function load(rec) {
    let blob;
    try {
      blob = await fetchRecording(rec);
    } catch {
      result(false, "Not checked yet", "The recording could not be fetched to play and check " +
        "(no connection?). Your receipts are ready; reload this page to try again.");
      return false;
    }
    play(rec, blob);
    const wrong = await check(rec, blob);
    if (wrong) {
      result(false, "Does not match", `Checked in this browser: ${wrong}.`);
      return false;
    }
    const whole = rec.finished.whole;
    result(true, "Checked in this browser",
      `The whole recording (SHA-256 ${whole.sha256}, ${whole.size.toLocaleString()} bytes) is ` +
      `exactly the ${rec.recordedChunks} parts this phone recorded, end to end, each one logged ` +
      "with a receipt checked as it arrived; and the whole recording's receipt verifies against " +
      "this site's log key.");
    return true;
  }

  function forget(rec) {
    OW_LIVE_STORE.forget(rec.id).catch(() => { /* gone already */ });
  }

  function show(rec) {
    urls.forEach((url) => URL.revokeObjectURL(url));
    urls = [];
    const finished = rec.finished;
    const name = nameOf(rec);
    $("live-done").hidden = false;
    $("live-setup").hidden = true;
    $("live-player").replaceChildren();
    $("live-download").hidden = true;
    $("live-check").hidden = true;
    $("live-done-summary").textContent = `${name}: ${rec.recordedChunks} parts, all logged. ` +
      `The whole recording has the SHA-256 ${finished.whole.sha256}.`;
    const bundle = $("live-bundle");
    bundle.href = objectUrl(new Blob([JSON.stringify(finished.bundle, null, 2)], { type: "application/json" }));
    bundle.download = `recording-${rec.id}.bundle.json`;
    bundle.onclick = () => forget(rec);
    const checked = load(rec);
    $("live-attach").onclick = async () => {
      const lodged = read("ow-lodged");
      if (!lodged.some((item) => item.sha256 === finished.whole.sha256)) {
        lodged.push({ name, sha256: finished.whole.sha256, claim: finished.claim });
        write("ow-lodged", lodged);
      }
      if (await checked) { // the receipt page then shows it matches what this browser hashed
        const hashes = read("ow-browser-hashes").filter((h) => h.sha256 !== finished.whole.sha256);
        hashes.push({ name, sha256: finished.whole.sha256, size: finished.whole.size });
        write("ow-browser-hashes", hashes);
      }
      forget(rec);
      window.location.assign("/report");
    };
    $("live-done-heading").focus();
  }

  return { show };
})();
