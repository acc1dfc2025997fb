// Offline verification of OpenWitness receipts in the browser: C2SP tlog-proof, signed-note and
// tlog-checkpoint, RFC 9162 inclusion proofs, Ed25519 (WebCrypto), and log entries of both
// kinds. Written here rather than taken from a package because no maintained browser library
// verifies tlog-proof receipts; it mirrors src/openwitness/ledger/verify.py and entry.py step
// for step and uses only the browser's own SHA-256 and Ed25519. Nothing leaves the page.
"use strict";

const TLOG = (() => {
  const HEADER = "c2sp.org/tlog-proof@v1";
  const EM_DASH = "\u2014 ";
  const encoder = new TextEncoder();

  class VerifyError extends Error {}

  function b64decode(text) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new VerifyError("receipt is malformed: not base64");
    }
    const raw = atob(text);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function equal(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  function parseReceipt(text) {
    const cut = text.indexOf("\n\n");
    const lines = (cut < 0 ? text : text.slice(0, cut)).split("\n");
    if (cut < 0 || lines[0] !== HEADER) throw new VerifyError(`not a ${HEADER} receipt`);
    if (!lines[1] || !lines[1].startsWith("extra ")) {
      throw new VerifyError("receipt has no extra line carrying the log entry");
    }
    const index = /^index (0|[1-9][0-9]*)$/.exec(lines[2] || "");
    if (!index) throw new VerifyError("receipt has no valid index line");
    const checkpoint = text.slice(cut + 2);
    if (!checkpoint) throw new VerifyError("receipt has no checkpoint");
    return {
      entry: b64decode(lines[1].slice("extra ".length)),
      index: BigInt(index[1]),
      proof: lines.slice(3).map(b64decode),
      checkpoint,
    };
  }

  async function parseKey(vkey) {
    // name+id+base64, where the base64 may itself contain "+"
    const parts = /^([^+\s]+)\+([^+]*)\+(\S+)$/.exec(vkey.trim())?.slice(1) || [];
    if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1])) {
      throw new VerifyError("the log key must look like name+1234abcd+base64");
    }
    const raw = b64decode(parts[2]);
    if (raw.length !== 33 || raw[0] !== 1) throw new VerifyError("the log key is not an Ed25519 key");
    const id = (await sha256(concat(encoder.encode(parts[0] + "\n"), raw))).slice(0, 4);
    if (hex(id) !== parts[1]) throw new VerifyError("the log key's id does not match the key");
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw new VerifyError("this browser cannot check Ed25519 signatures; use 'witness verify'");
    }
    return { name: parts[0], id, key, text: vkey.trim() };
  }

  // A signed note: the text, a blank line, then "— name base64(key id || signature)" lines.
  async function openCheckpoint(note, pinned) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new VerifyError("checkpoint is not a signed note");
    const text = note.slice(0, cut + 1);
    const signatures = note.slice(cut + 2).split("\n").filter((l) => l !== "");
    let signed = false;
    for (const line of signatures) {
      if (!line.startsWith(EM_DASH)) throw new VerifyError("checkpoint has a malformed signature line");
      const [name, encoded] = line.slice(EM_DASH.length).split(" ");
      if (name !== pinned.name) continue;
      const blob = b64decode(encoded || "");
      if (blob.length !== 68 || !equal(blob.slice(0, 4), pinned.id)) continue;
      signed = await crypto.subtle.verify({ name: "Ed25519" }, pinned.key, blob.slice(4), encoder.encode(text));
      if (!signed) throw new VerifyError("checkpoint signature is invalid for the pinned key");
    }
    if (!signed) throw new VerifyError(`checkpoint is not signed by the key ${pinned.text}`);
    const lines = text.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      throw new VerifyError("checkpoint body is malformed");
    }
    if (lines[0] !== pinned.name) {
      throw new VerifyError(`checkpoint is for log ${lines[0]}, not ${pinned.name}`);
    }
    const root = b64decode(lines[2]);
    if (root.length !== 32) throw new VerifyError("checkpoint root hash is not 32 bytes");
    return { origin: lines[0], size: BigInt(lines[1]), root };
  }

  // RFC 9162 section 2.1.3.2.
  async function inclusionRoot(index, size, leaf, proof) {
    if (index >= size) return null;
    let fn = index;
    let sn = size - 1n;
    let r = leaf;
    for (const p of proof) {
      if (p.length !== 32 || sn === 0n) return null;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha256(concat(Uint8Array.of(1), p, r));
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await sha256(concat(Uint8Array.of(1), r, p));
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  // Log entries, parsed exactly as src/openwitness/ledger/entry.py does: version 1 evidence and
  // version 2 live-chunk, every field checked, and the bytes must be the canonical (RFC 8785)
  // form. Errors carry entry.py's wording.
  const MAX_SEQ = 9999;
  const EVIDENCE_FIELDS = ["kind", "media_type", "received_at", "sha256", "size", "v"];
  const LIVE_FIELDS = [...EVIDENCE_FIELDS, "prev_sha256", "recording", "seq"].sort();
  const SHA256_RE = /^[0-9a-f]{64}$/;
  const TIME_RE = new RegExp( // the patterns of Python's _strptime, which ignores case
    "^([0-9]{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])T" +
      "(2[0-3]|[01][0-9]|[0-9]):([0-5][0-9]|[0-9]):(6[01]|[0-5][0-9]|[0-9])Z$", "i");

  class EntryError extends VerifyError {}

  function pyRepr(value) { // how entry.py's message shows a value
    if (value === undefined || value === null) return "None";
    if (typeof value === "boolean") return value ? "True" : "False";
    if (typeof value === "string") return `'${value}'`;
    return JSON.stringify(value);
  }

  function hasFields(obj, fields) {
    return Object.keys(obj).sort().join() === fields.join();
  }

  // received_at as Python reads it, strptime("%Y-%m-%dT%H:%M:%SZ") (which is lenient: "2026-1-5t..."
  // passes), then writes it back, strftime (which writes years before 1000 without leading zeros):
  // the written form, or null where strptime or datetime refuses it. A lenient form then fails
  // the canonical check, as in Python.
  function pythonTime(text) {
    const m = TIME_RE.exec(typeof text === "string" ? text : "");
    if (!m) return null;
    const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x.trim()));
    const days = new Date(Date.UTC(y, mo, 0)).getUTCDate(); // day 0 of the next month
    if (y < 1 || d > days || s > 59) return null;
    const two = (n) => String(n).padStart(2, "0");
    return `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}Z`;
  }

  function checkEvidenceFields(obj) {
    if (typeof obj.sha256 !== "string" || !SHA256_RE.test(obj.sha256)) {
      throw new EntryError("entry sha256 is not 64 lowercase hex digits");
    }
    if (!Number.isInteger(obj.size) || obj.size < 1) throw new EntryError("entry size is not a positive integer");
    if (typeof obj.media_type !== "string") throw new EntryError("entry media_type is not a string");
    if (pythonTime(obj.received_at) === null) {
      throw new EntryError("entry received_at is not an RFC 3339 UTC time");
    }
  }

  function checkLiveFields(obj) {
    if (typeof obj.recording !== "string" || !/^[0-9a-f]{32}$/.test(obj.recording)) {
      throw new EntryError("entry recording is not 32 lowercase hex digits");
    }
    if (!Number.isInteger(obj.seq) || obj.seq < 0 || obj.seq > MAX_SEQ) {
      throw new EntryError(`entry seq is not a whole number from 0 to ${MAX_SEQ}`);
    }
    const prev = obj.prev_sha256;
    if ((prev === null) !== (obj.seq === 0) || (prev !== null && !(typeof prev === "string" && SHA256_RE.test(prev)))) {
      throw new EntryError("entry prev_sha256 must be null for chunk 0 and a SHA-256 after it");
    }
  }

  function parseEntry(bytes) {
    let obj;
    try {
      obj = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (e) {
      throw new EntryError("entry is not JSON");
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new EntryError("entry is not a JSON object");
    }
    let fields;
    if (obj.v === 2 && obj.kind === "live-chunk") {
      fields = LIVE_FIELDS;
      if (!hasFields(obj, fields)) throw new EntryError("entry does not have the version 2 live-chunk fields");
      checkLiveFields(obj);
    } else if (obj.v === 1 && obj.kind === "evidence") {
      fields = EVIDENCE_FIELDS;
      if (!hasFields(obj, fields)) throw new EntryError("entry does not have the version 1 evidence fields");
    } else {
      throw new EntryError(`unsupported entry version or kind: v=${pyRepr(obj.v)} kind=${pyRepr(obj.kind)}`);
    }
    checkEvidenceFields(obj);
    if (!Number.isSafeInteger(obj.size) || /\p{Cs}/u.test(obj.media_type)) {
      throw new EntryError("entry cannot be canonicalised: a size past 2^53 or a lone surrogate");
    }
    const entry = Object.fromEntries(fields.map((k) => [k, obj[k]]));
    entry.received_at = pythonTime(obj.received_at);
    if (!equal(encoder.encode(JSON.stringify(entry)), bytes)) {
      throw new EntryError("entry is not in canonical form (RFC 8785)");
    }
    return entry;
  }

  // pinned: from parseKey. fileSha256: lowercase hex of the file's SHA-256 (computed by the
  // caller, incrementally), or undefined to check the receipt alone.
  async function checkReceipt(receiptText, pinned, fileSha256, fileSize) {
    const receipt = parseReceipt(receiptText);
    let entry;
    try {
      entry = parseEntry(receipt.entry);
    } catch (e) {
      if (!(e instanceof EntryError)) throw e;
      throw new VerifyError(`receipt entry is not valid: ${e.message}`);
    }
    if (fileSha256 !== undefined) {
      if (fileSha256 !== entry.sha256) throw new VerifyError("file does not match receipt: sha256 differs");
      if (fileSize !== entry.size) throw new VerifyError("file does not match receipt: size differs");
    }
    const checkpoint = await openCheckpoint(receipt.checkpoint, pinned);
    const leaf = await sha256(concat(Uint8Array.of(0), receipt.entry));
    const root = await inclusionRoot(receipt.index, checkpoint.size, leaf, receipt.proof);
    if (root === null || !equal(root, checkpoint.root)) {
      throw new VerifyError(`inclusion proof does not lead to the signed root of size ${checkpoint.size}`);
    }
    return { entry, index: receipt.index, checkpoint, key: pinned.text };
  }

  async function verifyReceipt(receiptText, vkey, fileSha256, fileSize) {
    return checkReceipt(receiptText, await parseKey(vkey), fileSha256, fileSize);
  }

  return {
    VerifyError, parseReceipt, parseKey, openCheckpoint, parseEntry, checkReceipt, verifyReceipt,
    inclusionRoot, hex,
  };
})();
