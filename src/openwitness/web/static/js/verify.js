// The Verify page: hash the chosen file in the browser and check its receipt (tlog.js), or, for
// a live recording, its receipt bundle (bundle.js): every chunk, the chain and the whole file.
"use strict";

(() => {
  const form = document.getElementById("verify-form");
  const result = document.getElementById("verify-result");
  const progress = document.getElementById("verify-progress");

  function show(ok, heading, ...lines) {
    result.className = ok ? "result result-ok" : "result result-bad";
    result.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = heading;
    result.append(h);
    for (const line of lines) {
      const p = document.createElement("p");
      p.textContent = line;
      result.append(p);
    }
  }

  function track(file) {
    return (done) => { progress.value = done / (file.size || 1); };
  }

  // With a policy and no key typed in, the policy's key for the receipt's log is the one
  // trusted (as `witness verify --policy` does).
  async function pinnedKey(key, policy, receipt) {
    if (key.trim() || !policy) return TLOG.parseKey(key);
    const pinned = OW_POLICY.logKey(policy, receipt.checkpoint);
    if (!pinned) {
      const origin = receipt.checkpoint.split("\n", 1)[0];
      throw new TLOG.VerifyError(`the policy lists no key for the log '${origin}': add a 'log' line or fill in the log's key`);
    }
    return pinned;
  }

  async function checkReceipt(file, receiptText, key, policyText) {
    // a malformed receipt or policy is reported before hashing
    const receipt = TLOG.parseReceipt(receiptText);
    const policy = policyText.trim() ? await OW_POLICY.parse(policyText) : null;
    const pinned = await pinnedKey(key, policy, receipt);
    const sha = await OW_HASH.sha256File(file, track(file));
    const verified = await TLOG.checkReceipt(receiptText, pinned, sha, file.size);
    const cosigners = policy ? await OW_POLICY.check(policy, receipt.checkpoint) : null;
    const lines = [
      `${file.name} (SHA-256 ${sha}) is entry ${verified.index} of the log ` +
        `${verified.checkpoint.origin}, received ${verified.entry.received_at}, in the ` +
        `checkpoint of size ${verified.checkpoint.size} signed by the key ${verified.key}.`,
    ];
    if (cosigners) {
      lines.push(
        "The checkpoint meets the witness policy: cosigned by " +
          (cosigners.length ? `${cosigners.join(", ")}.` : "no witness (the policy asks for none).")
      );
    }
    show(true, "Verified", ...lines);
  }

  async function checkBundle(file, bundleText, key) {
    const b = await OW_BUNDLE.verifyBundle(bundleText, key, file, file ? track(file) : undefined);
    const names = (numbers) => `${numbers.length === 1 ? "chunk" : "chunks"} ${OW_BUNDLE.describeNumbers(numbers)}`;
    const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);
    const lines = [];
    if (b.missing.length) {
      lines.push(`Not complete: ${names(b.missing)} ${b.missing.length === 1 ? "is" : "are"} missing from the bundle.`);
    }
    lines.push(
      `${sentence(names(b.chunks.map((c) => c.entry.seq)))} of recording ${b.recording} ` +
        `(${OW_BUNDLE.grouped(b.size)} bytes) verify: each is in the log, chained to the one ` +
        `before, in checkpoints up to size ${b.checkpointSize} signed by the key ${b.key}.`
    );
    if (b.whole) {
      lines.push(
        `The whole recording (SHA-256 ${b.whole.entry.sha256}) is entry ${b.whole.index}` +
          (b.missing.length ? "." : ", and is its chunks end to end.")
      );
    } else {
      lines.push("No whole file: the recording was cut short, so only its chunks are logged.");
    }
    if (b.fileChecked) {
      lines.push(`${file.name} is exactly these chunks end to end` + (b.whole ? ": the whole file matches." : "."));
    } else if (!file) {
      lines.push("No recording was chosen, so none was compared with the chunks.");
    }
    for (const note of b.notes) lines.push(`${sentence(note)}.`);
    show(!b.missing.length, b.missing.length ? "Incomplete" : "Verified", ...lines);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("verify-file").files[0];
    const receiptFile = document.getElementById("verify-receipt").files[0];
    const key = document.getElementById("verify-key").value;
    const policyText = document.getElementById("verify-policy").value;
    if (!receiptFile) {
      show(false, "Choose the receipt", "Pick the .tlog-proof receipt, or a live recording's .bundle.json.");
      return;
    }
    progress.hidden = false;
    progress.value = 0;
    try {
      if (receiptFile.size > OW_BUNDLE.MAX_BUNDLE_BYTES) {
        throw new TLOG.VerifyError("the receipt is larger than any receipt or bundle can be");
      }
      const receiptText = await receiptFile.text();
      if (OW_BUNDLE.looksLikeBundle(receiptText)) {
        if (policyText.trim()) {
          throw new TLOG.VerifyError("a witness policy applies to a single receipt, not to a live recording's bundle: empty the policy field");
        }
        await checkBundle(file, receiptText, key);
      } else if (!file) {
        show(false, "Choose both files", "Pick the file and its .tlog-proof receipt.");
      } else {
        await checkReceipt(file, receiptText, key, policyText);
      }
    } catch (error) {
      const reason = error instanceof TLOG.VerifyError ? error.message : `could not check: ${error}`;
      show(false, "Does not verify", reason);
    } finally {
      progress.hidden = true;
    }
  });
})();
