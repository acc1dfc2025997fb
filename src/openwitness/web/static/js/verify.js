// The Verify page: hash the chosen file in the browser and check its receipt (tlog.js).
"use strict";

(() => {
  const form = document.getElementById("verify-form");
  const result = document.getElementById("verify-result");
  const progress = document.getElementById("verify-progress");

  function show(ok, heading, detail) {
    result.className = ok ? "result result-ok" : "result result-bad";
    result.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = heading;
    const p = document.createElement("p");
    p.textContent = detail;
    result.append(h, p);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("verify-file").files[0];
    const receiptFile = document.getElementById("verify-receipt").files[0];
    const key = document.getElementById("verify-key").value;
    if (!file || !receiptFile) {
      show(false, "Choose both files", "Pick the file and its .tlog-proof receipt.");
      return;
    }
    progress.hidden = false;
    progress.value = 0;
    try {
      const receiptText = await receiptFile.text();
      TLOG.parseReceipt(receiptText); // a malformed receipt is reported before hashing
      const sha = await OW_HASH.sha256File(file, (done) => { progress.value = done / (file.size || 1); });
      const verified = await TLOG.verifyReceipt(receiptText, key, sha, file.size);
      show(
        true,
        "Verified",
        `${file.name} (SHA-256 ${sha}) is entry ${verified.index} of the log ` +
          `${verified.checkpoint.origin}, received ${verified.entry.received_at}, in the ` +
          `checkpoint of size ${verified.checkpoint.size} signed by the key ${verified.key}.`
      );
    } catch (error) {
      const reason = error instanceof TLOG.VerifyError ? error.message : `could not check: ${error}`;
      show(false, "Does not verify", reason);
    } finally {
      progress.hidden = true;
    }
  });
})();
