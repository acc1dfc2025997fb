// The report form, with JavaScript: each file is hashed in the browser, then sent over tus
// (resumable: a dropped connection carries on from the last byte the server has), and its
// receipt is fetched by the browser's own hash, so a server that stored other bytes cannot
// answer. The form is then posted without the files, naming them by SHA-256 with the claim
// (the upload's id) that proves they are this person's own.
// Nothing typed or lodged is lost to a reload, a refused form or a lost connection: what was
// typed, the files already lodged and the form's one-time key are kept for this tab in
// sessionStorage until the receipt page says the report arrived.
// Without JavaScript the same form posts the files directly.
"use strict";

(() => {
  const form = document.getElementById("report-form");
  if (!form) return;
  const DRAFT = "ow-report-draft";
  const LODGED = "ow-lodged";
  const KEY = "ow-report-key";
  const refused = Boolean(document.querySelector(".error-summary"));

  const read = (name, fallback) => {
    try { return JSON.parse(sessionStorage.getItem(name)) ?? fallback; } catch { return fallback; }
  };
  const write = (name, value) => {
    try { sessionStorage.setItem(name, JSON.stringify(value)); } catch { /* private mode: no memory */ }
  };

  keepTheOneTimeKey();
  keepWhatIsTyped();
  showLodged();

  // The form's one-time key survives a reload, so a report whose answer was lost on the way
  // back is not made twice when it is sent again: the server answers with the first receipt.
  function keepTheOneTimeKey() {
    const field = document.getElementById("submission");
    const kept = read(KEY, null);
    if (kept && !refused) field.value = kept;
    write(KEY, field.value);
  }

  function textFields() {
    return Array.from(form.elements).filter(
      (el) => el.name && !["file", "hidden", "submit", "button"].includes(el.type)
    );
  }

  function keepWhatIsTyped() {
    const draft = read(DRAFT, {});
    for (const field of textFields()) {
      const saved = draft[field.name];
      if (saved === undefined) continue;
      if (field.type === "radio") {
        if (!refused) field.checked = field.value === saved;
      } else if (!field.value) {
        field.value = saved; // the server's copy (a refused form) wins where it has one
      }
    }
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);
  }

  function saveDraft() {
    const draft = {};
    for (const field of textFields()) {
      if (field.type === "radio") {
        if (field.checked) draft[field.name] = field.value;
      } else if (field.value) {
        draft[field.name] = field.value;
      }
    }
    write(DRAFT, draft);
  }

  // Files lodged before a reload or a refused form stay attached, shown by name.
  function showLodged() {
    const list = document.getElementById("lodged-files");
    const shown = new Set(Array.from(list.children).map((li) => li.dataset.sha256));
    const claims = new Set(
      Array.from(form.querySelectorAll('input[name="evidence_claim"]')).map((f) => f.value)
    );
    for (const item of read(LODGED, [])) {
      if (!shown.has(item.sha256)) {
        list.append(lodgedRow(item.name, item.sha256));
        shown.add(item.sha256);
      }
      if (!claims.has(item.claim)) {
        hidden("evidence_claim", item.claim);
        claims.add(item.claim);
      }
    }
    const names = new Map(read(LODGED, []).map((item) => [item.sha256, item.name]));
    for (const li of list.children) {
      const name = names.get(li.dataset.sha256);
      if (name) li.querySelector(".file-name").textContent = name;
    }
    document.getElementById("lodged-note").hidden = list.children.length === 0;
  }

  function lodgedRow(name, sha) {
    const row = document.createElement("li");
    row.className = "done";
    row.dataset.sha256 = sha;
    const label = document.createElement("span");
    label.className = "file-name";
    label.textContent = name;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = `lodged, receipt ready (SHA-256 ${sha.slice(0, 16)}\u2026)`;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "evidence";
    field.value = sha;
    row.append(label, " ", state, field);
    return row;
  }

  function hidden(name, value) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.append(field);
  }

  if (!window.tus || !window.hashwasm || !tus.isSupported) return;
  const input = document.getElementById("files");
  const list = document.getElementById("file-progress");
  const status = document.getElementById("submit-status");
  const button = document.getElementById("send-report");
  const CHUNK = Number(form.dataset.chunkBytes || 4 * 1024 * 1024);

  addLocationButton();

  function addLocationButton() {
    if (!navigator.geolocation) return;
    const place = document.getElementById("place");
    const locate = document.createElement("button");
    locate.type = "button";
    locate.className = "secondary";
    locate.textContent = "Use my location";
    const said = document.getElementById("location-status");
    locate.addEventListener("click", () => {
      said.textContent = "Finding your location\u2026";
      navigator.geolocation.getCurrentPosition(
        (where) => {
          document.getElementById("latitude").value = where.coords.latitude.toFixed(6);
          document.getElementById("longitude").value = where.coords.longitude.toFixed(6);
          said.textContent = `Location added (\u00b1${Math.round(where.coords.accuracy)} m).`;
        },
        () => { said.textContent = "Location not available; describe the place instead."; },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
    place.insertAdjacentElement("afterend", locate);
  }

  function progressRow(file) {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", `${file.name} progress`);
    const state = document.createElement("span");
    state.className = "state";
    row.append(label, bar, state);
    list.append(row);
    return {
      hashing(fraction) { state.textContent = `checking ${Math.floor(fraction * 100)}%`; bar.value = fraction / 2; },
      uploading(fraction) { state.textContent = `uploading ${Math.floor(fraction * 100)}%`; bar.value = 0.5 + fraction / 2; },
      done(sha, again) {
        bar.value = 1;
        state.textContent = again ? "already lodged, receipt ready"
          : `lodged, receipt ready (SHA-256 ${sha.slice(0, 16)}\u2026)`;
        row.dataset.sha256 = sha;
        row.classList.add("done");
      },
      failed(message) { state.textContent = message; row.classList.add("failed"); },
    };
  }

  function upload(file, sha, onProgress) {
    return new Promise((resolve, reject) => {
      const job = new tus.Upload(file, {
        endpoint: "/uploads/",
        chunkSize: CHUNK,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        metadata: { sha256: sha }, // nothing else: a file's name can say too much
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => onProgress(total ? sent / total : 1),
        // The upload's id (the last part of its URL) is known only to this page: it is the
        // claim that ties the lodged file to this report (a hash alone is public).
        onSuccess: () => resolve(job.url.split("/").pop()),
        onError: (error) => reject(error),
      });
      // A page reloaded mid-upload picks up where the last attempt stopped.
      job.findPreviousUploads().then((previous) => {
        if (previous.length) job.resumeFromPreviousUpload(previous[0]);
        job.start();
      }, reject);
    });
  }

  function plainly(error) {
    const response = error && error.originalResponse;
    const code = response ? response.getStatus() : 0;
    if (code === 429) return "this connection has sent too many files just now; wait a few minutes";
    if (code === 413) return "the file is larger than this site accepts";
    if (code === 415) return "this kind of file is not accepted (videos, photos, audio or PDF)";
    if (code === 460) return "the file changed while it was being sent; choose it again";
    if (code === 507) return "the site has no room for more uploads just now; try again later";
    return "the connection failed";
  }

  form.addEventListener("submit", async (event) => {
    const files = Array.from(input.files);
    if (!files.length) return; // nothing to upload: the form posts as it is
    event.preventDefault();
    button.disabled = true;
    list.replaceChildren();
    const hashes = read("ow-browser-hashes", []);
    const lodged = read(LODGED, []);
    try {
      for (const file of files) {
        const row = progressRow(file);
        const sha = await OW_HASH.sha256File(file, (done) => row.hashing(done / (file.size || 1)));
        if (lodged.some((item) => item.sha256 === sha)) {
          row.done(sha, true); // chosen again after a reload: it is already in
          continue;
        }
        let claim;
        try {
          claim = await upload(file, sha, (fraction) => row.uploading(fraction));
        } catch (error) {
          row.failed(`not sent: ${plainly(error)}`);
          throw new Error(`${file.name} could not be sent: ${plainly(error)}.`);
        }
        const receipt = await fetch(`/api/v1/evidence/${sha}/receipt`);
        if (!receipt.ok) {
          row.failed("not received intact");
          throw new Error(`The server has no record of the bytes your browser hashed for ${file.name}.`);
        }
        row.done(sha, false);
        hashes.push({ name: file.name, sha256: sha, size: file.size });
        lodged.push({ name: file.name, sha256: sha, claim });
        write(LODGED, lodged);
        write("ow-browser-hashes", hashes);
        document.getElementById("lodged-files").append(lodgedRow(file.name, sha));
        hidden("evidence_claim", claim);
      }
      input.value = ""; // already lodged: the files are not posted again
      input.disabled = true;
      status.textContent = "Sending your report\u2026";
      form.submit();
    } catch (error) {
      document.getElementById("lodged-note").hidden = lodged.length === 0;
      status.textContent = `${error.message} Your report has not been sent yet. ` +
        "Files already lodged stay attached; send again to carry on.";
      button.disabled = false;
    }
  });
})();
