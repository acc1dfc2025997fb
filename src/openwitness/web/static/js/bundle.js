// A live recording's receipt bundle, checked in the browser exactly as `witness verify --bundle`
// checks it (src/openwitness/live/bundle.py, step for step, with its wording): every chunk's
// receipt (tlog.js), one recording, the chain between chunks, the whole file, and which chunks
// are missing; with the recording, that each slice of it hashes to its chunk (hash-wasm, a slice
// at a time: the file is never held in memory whole). Nothing leaves the page.
"use strict";

const OW_BUNDLE = (() => {
  const FORMAT = "openwitness.org/live-bundle@v1";
  const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
  const MAX_SEQ = 9999;
  const SLICE = 8 * 1024 * 1024;
  const { VerifyError } = TLOG;

  const isObject = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
  const grouped = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","); // Python's {:,}

  // [0, 1, 2, 5, 7, 8] -> "0 to 2, 5, 7 to 8": chunk numbers for a person to read.
  function describeNumbers(numbers) {
    const runs = [];
    for (const n of [...numbers].sort((a, b) => a - b)) {
      if (runs.length && n === runs[runs.length - 1][1] + 1) runs[runs.length - 1][1] = n;
      else runs.push([n, n]);
    }
    return runs.map(([a, b]) => (a === b ? `${a}` : `${a} to ${b}`)).join(", ");
  }

  // Does this text look like a bundle rather than a tlog-proof receipt? (JSON, not a receipt.)
  function looksLikeBundle(text) {
    return text.trimStart().startsWith("{");
  }

  function parseBundle(text) {
    if (text.length > MAX_BUNDLE_BYTES) {
      throw new VerifyError("the bundle is larger than any recording's bundle can be");
    }
    let bundle;
    try {
      bundle = JSON.parse(text);
    } catch (e) {
      throw new VerifyError("the bundle is not JSON");
    }
    if (!isObject(bundle) || bundle.format !== FORMAT) {
      throw new VerifyError(`not a live recording bundle (${FORMAT})`);
    }
    const chunks = bundle.chunks;
    if (!Array.isArray(chunks) || chunks.length === 0) throw new VerifyError("the bundle lists no chunks");
    for (const item of chunks) {
      if (!isObject(item) || typeof item.receipt !== "string") {
        throw new VerifyError("each chunk in the bundle needs its receipt");
      }
    }
    const whole = bundle.whole;
    if (whole != null && !(isObject(whole) && typeof whole.receipt === "string")) {
      throw new VerifyError("the bundle's whole file has no receipt");
    }
    const recorded = bundle.recorded_chunks;
    if (recorded != null && !(Number.isInteger(recorded) && recorded >= 0 && recorded <= MAX_SEQ + 1)) {
      throw new VerifyError(`recorded_chunks must be a whole number from 0 to ${MAX_SEQ + 1}`);
    }
    return bundle;
  }

  async function verifyChunks(bundle, pinned) {
    const verified = new Map(); // seq -> { entry, index, text }
    let recording = null;
    let size = 0n;
    const claimed = "recording" in bundle ? bundle.recording : undefined;
    for (const item of bundle.chunks) {
      const result = await TLOG.checkReceipt(item.receipt, pinned);
      const entry = result.entry;
      if (entry.kind !== "live-chunk") {
        throw new VerifyError(`entry ${result.index} in the bundle is not a live chunk`);
      }
      if (recording === null) recording = entry.recording;
      if (entry.recording !== recording || entry.recording !== (claimed === undefined ? recording : claimed)) {
        throw new VerifyError(
          `chunk ${entry.seq} (log entry ${result.index}) is from another recording, ${entry.recording}`
        );
      }
      const text = JSON.stringify(entry); // canonical (tlog.js checked), so equal text = equal entry
      if (verified.has(entry.seq)) {
        if (verified.get(entry.seq).text !== text) {
          throw new VerifyError(`the bundle has two different chunks numbered ${entry.seq}`);
        }
        continue;
      }
      verified.set(entry.seq, { entry, index: result.index, text });
      if (result.checkpoint.size > size) size = result.checkpoint.size;
    }
    const chunks = [...verified.keys()].sort((a, b) => a - b).map((seq) => verified.get(seq));
    for (let i = 1; i < chunks.length; i++) {
      const before = chunks[i - 1].entry;
      const after = chunks[i].entry;
      if (after.seq === before.seq + 1 && after.prev_sha256 !== before.sha256) {
        throw new VerifyError(
          `chunk ${after.seq} does not follow chunk ${before.seq}: it names another previous chunk`
        );
      }
      if (after.media_type !== before.media_type) {
        throw new VerifyError(`chunk ${after.seq} has another media type than the rest`);
      }
    }
    return { chunks: chunks.map(({ entry, index }) => ({ entry, index })), checkpointSize: size };
  }

  // The recording must be exactly the chunks end to end: each slice hashes to its chunk (so a
  // changed byte is named by its chunk). Returns the whole file's SHA-256, read in the same pass.
  async function checkFile(file, chunks, onProgress) {
    const expected = chunks.reduce((n, c) => n + c.entry.size, 0);
    if (file.size !== expected) {
      throw new VerifyError(
        `the file is ${grouped(file.size)} bytes, the logged chunks are ${grouped(expected)} bytes end to end`
      );
    }
    const whole = await hashwasm.createSHA256();
    const part = await hashwasm.createSHA256();
    whole.init();
    let at = 0;
    for (const chunk of chunks) {
      part.init();
      for (const end = at + chunk.entry.size; at < end;) {
        const data = new Uint8Array(await file.slice(at, Math.min(end, at + SLICE)).arrayBuffer());
        part.update(data);
        whole.update(data);
        at += data.length;
        if (onProgress) onProgress(at);
      }
      if (part.digest("hex") !== chunk.entry.sha256) {
        throw new VerifyError(
          `file does not match: its bytes for chunk ${chunk.entry.seq} are not the logged chunk's`
        );
      }
    }
    return whole.digest("hex");
  }

  // Check every receipt, the chain and the whole file; with `file` (a File or Blob), that the
  // recording is the chunks end to end (and the whole file, if the bundle has it).
  // onProgress(bytesDone) follows the reading of the file.
  async function verifyBundle(bundleText, vkey, file, onProgress) {
    const bundle = parseBundle(bundleText);
    const pinned = await TLOG.parseKey(vkey);
    const { chunks, checkpointSize } = await verifyChunks(bundle, pinned);
    const present = new Set(chunks.map((c) => c.entry.seq));
    const last = chunks[chunks.length - 1].entry.seq;
    const upto = Math.max(last + 1, bundle.recorded_chunks || 0);
    const missing = [];
    for (let seq = 0; seq < upto; seq++) if (!present.has(seq)) missing.push(seq);
    const size = chunks.reduce((n, c) => n + c.entry.size, 0);
    const result = {
      recording: chunks[0].entry.recording, chunks, missing, whole: null, checkpointSize, size,
      complete: missing.length === 0, fileChecked: false, notes: [], key: pinned.text,
    };
    if (bundle.whole != null) {
      const whole = await TLOG.checkReceipt(bundle.whole.receipt, pinned);
      if (whole.entry.kind !== "evidence") {
        throw new VerifyError("the whole file's receipt is not for an evidence entry");
      }
      if (!missing.length && whole.entry.size !== size) {
        throw new VerifyError(
          `the whole file is ${grouped(whole.entry.size)} bytes, its chunks end to end are ` +
            `${grouped(size)} bytes: it is not these chunks`
        );
      }
      result.whole = whole;
    }
    if (file) {
      if (missing.length) {
        result.notes.push("the file was not compared: chunks are missing");
      } else {
        const whole = result.whole;
        if (whole !== null && file.size !== whole.entry.size) {
          throw new VerifyError("file does not match the whole recording's receipt");
        }
        const sha = await checkFile(file, chunks, onProgress); // names the chunk a changed byte is in
        if (whole !== null && sha !== whole.entry.sha256) {
          throw new VerifyError("file does not match the whole recording's receipt");
        }
        result.fileChecked = true;
      }
    }
    return result;
  }

  return { FORMAT, MAX_BUNDLE_BYTES, describeNumbers, grouped, looksLikeBundle, parseBundle, verifyBundle };
})();
