// The report form, with JavaScript: each file is hashed in the browser, then sent over tus
// (resumable: a dropped connection carries on from the last byte the server has), and its
// receipt is fetched by the browser's own hash, so a server that stored other bytes cannot
// answer. The form is then posted without the files, naming them by SHA-256.
// Without JavaScript the same form posts the files directly.
"use strict";

(() => {
  const form = document.getElementById("report-form");
  if (!form || !window.tus || !window.hashwasm || !tus.isSupported) return;
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
      done(sha) {
        bar.value = 1;
        state.textContent = `lodged, SHA-256 ${sha.slice(0, 16)}\u2026`;
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
        metadata: { filename: file.name, filetype: file.type, sha256: sha },
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

  function hidden(name, value) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.append(field);
  }

  form.addEventListener("submit", async (event) => {
    const files = Array.from(input.files);
    if (!files.length) return; // nothing to upload: the form posts as it is
    event.preventDefault();
    button.disabled = true;
    list.replaceChildren();
    const hashes = [];
    try {
      for (const file of files) {
        const row = progressRow(file);
        const sha = await OW_HASH.sha256File(file, (done) => row.hashing(done / (file.size || 1)));
        let claim;
        try {
          claim = await upload(file, sha, (fraction) => row.uploading(fraction));
        } catch (error) {
          row.failed("upload failed");
          throw new Error(`${file.name} could not be uploaded: ${error.message || error}`);
        }
        const receipt = await fetch(`/api/v1/evidence/${sha}/receipt`);
        if (!receipt.ok) {
          row.failed("not received intact");
          throw new Error(`the server has no record of the bytes your browser hashed for ${file.name}`);
        }
        row.done(sha);
        hashes.push({ name: file.name, sha256: sha, size: file.size });
        hidden("evidence", sha);
        hidden("evidence_claim", claim);
      }
      sessionStorage.setItem("ow-browser-hashes", JSON.stringify(hashes));
      input.disabled = true; // already lodged; a disabled field is not posted again
      status.textContent = "Sending your report\u2026";
      form.submit();
    } catch (error) {
      status.textContent = `${error.message} Your report has not been sent yet; try again.`;
      button.disabled = false;
    }
  });
})();
