// The follow page of a live recording: asks the server again every few seconds while the
// recording goes on and swaps in what has arrived, leaving the player alone (a meta refresh
// would stop whatever is playing). An item of the list plays in the page's own player.
"use strict";

(() => {
  const player = document.getElementById("follow-player");

  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.play") : null;
    if (!link || !player) return;
    event.preventDefault();
    for (const other of document.querySelectorAll("a.play[aria-current]")) {
      other.removeAttribute("aria-current");
    }
    link.setAttribute("aria-current", "true");
    player.hidden = false;
    player.src = link.href;
    player.play().catch(() => {}); // a browser may want a second tap: the controls are there
  });

  const refresh = async () => {
    const live = document.getElementById("follow-live");
    const seconds = Number(live && live.dataset.refresh);
    if (!seconds) return; // ended: nothing more will arrive
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    let page;
    try {
      const answer = await fetch(location.href, {
        cache: "no-store",
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (answer.status === 404) return; // the link no longer opens anything
      if (!answer.ok) return refresh(); // busy or limited: try again later
      page = new DOMParser().parseFromString(await answer.text(), "text/html");
    } catch {
      return refresh(); // no network for now
    }
    const fresh = page.getElementById("follow-live");
    if (!fresh) return refresh();
    const playing = document.querySelector("a.play[aria-current]");
    const upto = playing ? playing.dataset.upto : null;
    live.dataset.refresh = fresh.dataset.refresh;
    live.dataset.state = fresh.dataset.state;
    // The status's own element stays, so a screen reader announces its new words.
    for (const id of ["follow-status", "follow-list"]) {
      const now = page.getElementById(id);
      if (now) document.getElementById(id).replaceChildren(...document.importNode(now, true).childNodes);
    }
    if (upto) {
      const again = document.querySelector(`a.play[data-upto="${CSS.escape(upto)}"]`);
      if (again) again.setAttribute("aria-current", "true");
    }
    refresh();
  };
  refresh();
})();
