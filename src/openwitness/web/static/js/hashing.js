// SHA-256 of a File, read a slice at a time (hash-wasm), so a 2 GB video never has to fit in
// memory. onProgress(bytesDone) is called after each slice.
"use strict";

const OW_HASH = (() => {
  const SLICE = 8 * 1024 * 1024;

  async function sha256File(file, onProgress) {
    const hasher = await hashwasm.createSHA256();
    hasher.init();
    for (let at = 0; at < file.size; at += SLICE) {
      const slice = await file.slice(at, at + SLICE).arrayBuffer();
      hasher.update(new Uint8Array(slice));
      if (onProgress) onProgress(Math.min(at + SLICE, file.size));
    }
    return hasher.digest("hex");
  }

  return { sha256File };
})();
