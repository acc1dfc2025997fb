// The /live page: one tap starts recording (the back camera, or sound only), MediaRecorder
// hands over a chunk every few seconds, and live-session.js hashes, keeps and sends each one
// while the page says how many seconds are safely logged and how many wait to be sent. Stop
// sends what is left, ends the recording, and offers the receipts (one bundle), the whole
// recording, a check of it in this browser, and a report pre-filled with it. A reload or a
// crash mid-recording finds the unsent chunks on the phone and carries on sending them.
"use strict";

(() => {
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const STORE = OW_LIVE_STORE;
  const KEY = root.dataset.logKey;
  const canKeep = Boolean(window.indexedDB && window.crypto && crypto.subtle && window.fetch);
  const canRecord = canKeep && Boolean(window.MediaRecorder && navigator.mediaDevices &&
    navigator.mediaDevices.getUserMedia);
  if (!canKeep) return; // the notice already says what is needed, and where to go instead

  const setup = $("live-setup");
  const startButton = $("live-start");
  const stopButton = $("live-stop");
  const statusBox = $("live-status");
  let current = null; // the session recording now, or ending
  let recorder = null;
  let stream = null;
  let clock = null;
  let startedAt = 0;
  let lastMilestone = 0;
  const leftovers = [];

  function announce(text) {
    const place = $("live-announce");
    place.textContent = "";
    setTimeout(() => { place.textContent = text; }, 50); // the same words twice are read again
  }

  function duration(ms) {
    const total = Math.floor(ms / 1000);
    if (total < 60) return `${total} second${total === 1 ? "" : "s"}`;
    const seconds = String(total % 60).padStart(2, "0");
    return `${Math.floor(total / 60)} min ${seconds} s`;
  }

  // What to say about a session: [the clock, what is safely logged, what waits].
  function lines(session, main) {
    const rec = session.rec;
    const clock = main && recorder && recorder.state === "recording"
      ? `Recording: ${duration(performance.now() - startedAt)}.`
      : session.finishing ? "Stopped: ending the recording\u2026" : "";
    const safe = `${duration(rec.loggedMs)} safely logged.`;
    const parts = `${session.queued} part${session.queued === 1 ? "" : "s"}`;
    let waiting = "Nothing waiting to be sent.";
    if (session.queued > 0 && session.offline) {
      waiting = `${duration(session.waitingMs)} waiting to be sent (${parts}): no connection; ` +
        "kept on this phone and sent when it returns.";
    } else if (session.queued > 0) {
      waiting = `${duration(session.waitingMs)} waiting to be sent (${parts}, kept on this phone).`;
    }
    return [clock, safe, waiting];
  }

  const TOLD = {
    sending: "Sending your trusted contact the link\u2026",
    sent: "Your trusted contact has been sent the link.",
    failed: "The e-mail to your trusted contact could not be sent.",
  };
  let told = "";

  function show(session, box) {
    box.dataset.state = session.problem ? "problem" : session.rec.finished ? "finished"
      : session.offline ? "offline" : session.finishing ? "finishing" : "recording";
    box.dataset.loggedChunks = String(session.rec.logged.length);
    box.dataset.made = String(session.rec.made);
    box.dataset.queued = String(session.queued);
    box.dataset.loggedMs = String(session.rec.loggedMs);
  }

  // The recording being made now: its counts, and a few words for screen readers when
  // something changes (not every second).
  function onCurrent(session, event) {
    show(session, statusBox);
    const [clock, safe, waiting] = lines(session, true);
    const contact = (session.server && TOLD[session.server.contact]) || "";
    $("live-clock").textContent = `${clock} ${contact}`.trim();
    if (contact !== told && session.server && session.server.contact !== "sending") {
      announce(contact);
    }
    told = contact;
    $("live-logged").textContent = safe;
    $("live-waiting").textContent = waiting;
    $("live-problem").textContent = session.problem;
    if (event === "offline") announce("No connection. Keep recording: the parts are kept on this phone and sent when the connection returns.");
    if (event === "online") announce("Connected again: sending the parts that were kept.");
    if (event === "problem") announce(session.problem);
    const milestone = Math.floor(session.rec.loggedMs / 30000);
    if (event === "logged" && milestone > lastMilestone) {
      lastMilestone = milestone;
      announce(`${duration(milestone * 30000)} safely logged.`);
    }
  }

  function onLeftover(session, event) {
    const text = $("live-leftover-status");
    show(session, text);
    const started = `Started ${new Date(session.rec.startedAt).toLocaleString()}.`;
    if (!session.problem && !session.finishing && session.queued === 0 && !session.draining) {
      text.textContent = `${started} Everything this phone kept of it is now logged ` +
        `(${duration(session.rec.loggedMs)}). End it to get its receipts.`;
    } else {
      text.textContent = [started, ...lines(session, false), session.problem].join(" ").trim();
    }
    if (event === "finished") announce("The earlier recording has ended: its receipts are ready.");
  }

  function pickType(audioOnly) {
    const options = audioOnly
      ? ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"]
      : ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
    return options.find((type) => MediaRecorder.isTypeSupported(type)) || "";
  }

  function problem(text) {
    statusBox.hidden = false;
    $("live-problem").textContent = text;
  }

  async function askForDevices(audioOnly) {
    const video = { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
    try {
      return await navigator.mediaDevices.getUserMedia(audioOnly ? { audio: true } : { audio: true, video });
    } catch (error) {
      if (error && error.name === "NotAllowedError") {
        problem("The browser was not allowed to use the camera or microphone. Allow them for " +
          "this site (in the browser's site settings) and tap Start again.");
      } else {
        problem("This phone's camera or microphone could not be used. Try sound only, or film " +
          "with the camera app and upload the recording on the report page afterwards.");
      }
      return null;
    }
  }

  async function begin(audioOnly, contact) {
    let response;
    let answer;
    try {
      response = await fetch("/api/v1/live", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ audio_only: audioOnly, contact }),
      });
      answer = await response.json();
    } catch {
      problem("The site could not be reached to start. Check the connection and tap Start " +
        "again, or film with the camera app and upload the recording afterwards.");
      return null;
    }
    if (!response.ok) {
      const detail = typeof answer.detail === "string" ? answer.detail : "check what you entered";
      problem(`The recording could not start: ${detail}.`);
      return null;
    }
    return answer;
  }

  function makeRecorder(audioOnly, mimeType) {
    const options = audioOnly ? { audioBitsPerSecond: 96000 }
      : { videoBitsPerSecond: 2000000, audioBitsPerSecond: 96000 };
    if (mimeType) options.mimeType = mimeType;
    try {
      return new MediaRecorder(stream, options);
    } catch {
      return new MediaRecorder(stream); // the browser's own choice of format and bitrate
    }
  }

  async function start(event) {
    event.preventDefault();
    startButton.disabled = true;
    $("live-problem").textContent = "";
    const audioOnly = $("live-audio").checked;
    const contactField = $("live-contact");
    const contact = (contactField && contactField.value.trim()) || null;
    stream = await askForDevices(audioOnly);
    const answer = stream && (await begin(audioOnly, contact));
    if (!answer) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      startButton.disabled = false;
      return;
    }
    const mimeType = pickType(audioOnly);
    const rec = {
      id: answer.recording, token: answer.token, audioOnly, mimeType, startedAt: Date.now(),
      made: 0, lastSha: null, madeMs: 0, logged: [], loggedMs: 0, stopped: false,
      recordedChunks: null, finished: null,
    };
    try {
      await STORE.save(rec);
    } catch {
      stream.getTracks().forEach((track) => track.stop());
      problem("This browser will not keep anything on the phone (a private window?), so a " +
        "cut connection would lose the recording. Use a normal window, or film with the " +
        "camera app and upload the recording on the report page afterwards.");
      startButton.disabled = false;
      return;
    }
    current = new OW_LIVE.Session(rec, KEY, onCurrent);
    lastMilestone = 0;
    recorder = makeRecorder(audioOnly, mimeType);
    const session = current;
    recorder.addEventListener("dataavailable", (e) => {
      if (e.data && e.data.size) session.add(e.data, Math.round(performance.now() - startedAt));
    });
    // The camera taken by another app, or the browser stopping it: ended as if Stop was tapped.
    recorder.addEventListener("stop", () => { if (!stopping) stop(); });
    startedAt = performance.now();
    recorder.start(Number(root.dataset.timesliceMs) || 3000);
    showRecording(audioOnly);
    announce(`Recording${contact ? "; your contact is being sent a link" : ""}. Every few seconds is sent and logged as you film.`);
  }

  let wakeLock = null;
  function showRecording(audioOnly) {
    setup.hidden = true;
    $("live-done").hidden = true;
    $("live-recording").hidden = false;
    $("live-controls").hidden = false;
    statusBox.hidden = false;
    stopButton.disabled = false;
    const preview = $("live-preview");
    preview.hidden = audioOnly;
    if (!audioOnly) {
      preview.srcObject = stream;
      preview.play().catch(() => { /* the preview is a courtesy */ });
    }
    clock = setInterval(() => onCurrent(current, ""), 1000);
    onCurrent(current, "");
    if (navigator.wakeLock) {
      navigator.wakeLock.request("screen").then((lock) => { wakeLock = lock; }, () => {});
    }
    $("live-status").scrollIntoView({ block: "start" });
    stopButton.focus({ preventScroll: true });
  }

  let stopping = false;
  async function stop() {
    if (stopping || !recorder) return;
    stopping = true;
    stopButton.disabled = true;
    if (recorder.state !== "inactive") {
      const ended = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
      recorder.stop();
      await ended; // the last chunk has been handed over
    }
    stream.getTracks().forEach((track) => track.stop());
    clearInterval(clock);
    recorder = null;
    if (wakeLock) wakeLock.release().catch(() => {});
    $("live-preview").srcObject = null;
    $("live-recording").hidden = true;
    $("live-controls").hidden = true;
    announce("Stopped. Sending the last parts, then ending the recording.");
    const session = current;
    const finished = await session.finish();
    stopping = false;
    if (finished) {
      statusBox.hidden = true;
      announce("Your recording has ended and is safe: its receipts are ready.");
      OW_LIVE_DONE.show(session.rec);
    } else if (!session.problem) {
      problem("Nothing was recorded.");
      setup.hidden = false;
      startButton.disabled = false;
    }
  }

  // Chunks left on this phone by a page that was closed, reloaded or crashed mid-recording.
  async function carryOn() {
    let recs;
    try {
      recs = await STORE.recordings();
    } catch {
      return;
    }
    recs.sort((a, b) => a.startedAt - b.startedAt);
    const done = recs.filter((rec) => rec.finished);
    if (done.length) OW_LIVE_DONE.show(done[done.length - 1]);
    for (const rec of recs.filter((r) => !r.finished)) {
      const session = new OW_LIVE.Session(rec, KEY, onLeftover);
      session.queued = await STORE.queued(rec.id);
      leftovers.push(session);
    }
    showLeftover();
  }

  function showLeftover() {
    const panel = $("live-leftover");
    const session = leftovers[0];
    panel.hidden = !session;
    if (!session) return;
    const end = $("live-leftover-end");
    end.disabled = false;
    end.onclick = () => endLeftover(session);
    onLeftover(session, "");
    session.drain();
    if (session.rec.stopped) endLeftover(session); // Stop was tapped before the page went
  }

  async function endLeftover(session) {
    $("live-leftover-end").disabled = true;
    const finished = await session.finish();
    if (!finished && session.problem) return;
    leftovers.shift();
    if (finished) OW_LIVE_DONE.show(session.rec);
    showLeftover();
  }

  setup.addEventListener("submit", start);
  stopButton.addEventListener("click", stop);
  $("live-again").addEventListener("click", () => {
    $("live-done").hidden = true;
    setup.hidden = false;
    startButton.disabled = false;
    startButton.focus();
  });
  window.addEventListener("online", () => {
    if (current) current.drain();
    leftovers.forEach((session) => session.drain());
  });
  if (canRecord) {
    $("live-needs").hidden = true;
    setup.hidden = false;
  }
  carryOn();
})();
