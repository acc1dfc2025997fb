// The receipt page: compare each lodged item with the SHA-256 the browser computed itself
// before uploading (report.js keeps them for this tab in sessionStorage). The report has
// arrived, so the draft, the lodged files and the form's one-time key are let go; the hashes
// are kept under this report's number, so a reload shows the same comparison.
"use strict";

(() => {
  const number = (document.getElementById("case-number") || {}).textContent || "";
  const mine = `ow-receipt-hashes-${number}`;
  const fresh = sessionStorage.getItem("ow-browser-hashes");
  if (fresh) sessionStorage.setItem(mine, fresh);
  for (const name of ["ow-browser-hashes", "ow-report-draft", "ow-lodged", "ow-report-key"]) {
    sessionStorage.removeItem(name);
  }
  const stored = sessionStorage.getItem(mine);
  if (!stored) return;
  const computed = JSON.parse(stored);
  const items = Array.from(document.querySelectorAll(".lodged-item"));
  const lodged = new Set(items.map((item) => item.dataset.sha256));
  for (const item of items) {
    const match = computed.find((c) => c.sha256 === item.dataset.sha256);
    if (match) {
      item.querySelector(".browser-match").textContent =
        `\u2713 Matches the SHA-256 your browser computed of ${match.name}.`;
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
})();
