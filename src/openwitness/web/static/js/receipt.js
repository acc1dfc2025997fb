// The receipt page: compare each lodged item with the SHA-256 the browser computed itself
// before uploading (report.js keeps them for this tab in sessionStorage).
"use strict";

(() => {
  const stored = sessionStorage.getItem("ow-browser-hashes");
  if (!stored) return;
  const computed = JSON.parse(stored);
  const items = Array.from(document.querySelectorAll(".lodged-item"));
  const lodged = new Set(items.map((item) => item.dataset.sha256));
  for (const item of items) {
    const mine = computed.find((c) => c.sha256 === item.dataset.sha256);
    if (mine) {
      item.querySelector(".browser-match").textContent =
        `\u2713 Matches the SHA-256 your browser computed of ${mine.name}.`;
      item.classList.add("matched");
    }
  }
  const missing = computed.filter((c) => !lodged.has(c.sha256));
  if (missing.length) {
    const warning = document.getElementById("browser-mismatch");
    warning.textContent = `Not in this receipt: ${missing.map((m) => m.name).join(", ")}. ` +
      "The server did not record the bytes your browser hashed.";
    warning.hidden = false;
  }
  sessionStorage.removeItem("ow-browser-hashes");
})();
