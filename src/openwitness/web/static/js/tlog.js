// Offline verification of OpenWitness receipts in the browser: C2SP tlog-proof, signed-note and
// tlog-checkpoint, RFC 9162 inclusion proofs, Ed25519 (WebCrypto). Written here rather than
// taken from a package because no maintained browser library verifies tlog-proof receipts; it
// mirrors src/openwitness/ledger/verify.py step for step and uses only the browser's own
// SHA-256 and Ed25519. Nothing leaves the page.
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

  // fileSha256: lowercase hex of the file's SHA-256 (computed by the caller, incrementally).
  async function verifyReceipt(receiptText, vkey, fileSha256, fileSize) {
    const receipt = parseReceipt(receiptText);
    let entry;
    try {
      entry = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(receipt.entry));
    } catch (e) {
      throw new VerifyError("receipt entry is not valid JSON");
    }
    if (entry.v !== 1 || typeof entry.sha256 !== "string") {
      throw new VerifyError("receipt entry is not a version 1 evidence entry");
    }
    if (fileSha256 !== undefined) {
      if (fileSha256 !== entry.sha256) throw new VerifyError("file does not match receipt: sha256 differs");
      if (fileSize !== entry.size) throw new VerifyError("file does not match receipt: size differs");
    }
    const pinned = await parseKey(vkey);
    const checkpoint = await openCheckpoint(receipt.checkpoint, pinned);
    const leaf = await sha256(concat(Uint8Array.of(0), receipt.entry));
    const root = await inclusionRoot(receipt.index, checkpoint.size, leaf, receipt.proof);
    if (root === null || !equal(root, checkpoint.root)) {
      throw new VerifyError(`inclusion proof does not lead to the signed root of size ${checkpoint.size}`);
    }
    return { entry, index: receipt.index, checkpoint, key: pinned.text };
  }

  return { VerifyError, parseReceipt, parseKey, openCheckpoint, verifyReceipt, inclusionRoot, hex };
})();
