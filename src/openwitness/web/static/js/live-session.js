// One live recording's way to the server: each chunk is hashed here, stored on this phone
// (live-store.js) and only then sent, strictly in order; the server's answer is checked before
// the chunk leaves the queue: its receipt must name this chunk's own SHA-256, number and the
// previous chunk's SHA-256, and lead to a checkpoint signed by the site's log key
// (TLOG.checkReceipt).
// A lost connection is waited out (with backoff, and at once when the browser is online
// again); nothing is dropped.
"use strict";

const OW_LIVE = (() => {
  const STORE = OW_LIVE_STORE;
  const MAX_WAIT_MS = 15000;

  // A problem a person must be told of; sending stops, the queue stays on the phone.
  class Halt extends Error {}

  let pinned = null;
  function logKey(text) {
    pinned = pinned || TLOG.parseKey(text);
    return pinned;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function detailOf(answer) {
    return answer && typeof answer.detail === "string" ? answer.detail : "";
  }

  class Session {
    // rec: the recording as kept in IndexedDB; keyText: the site's log key;
    // onChange(session, event): called whenever what to show has changed.
    constructor(rec, keyText, onChange) {
      this.rec = rec;
      this.keyText = keyText;
      this.onChange = onChange;
      this.queued = 0;
      this.offline = false;
      this.problem = "";
      this.finishing = false;
      this.draining = false;
      this.kick = false;
      this.waiters = [];
      this.tries = 0;
      this.server = null; // the recording's status in the server's last answer
      this.pending = Promise.resolve(); // chunks being hashed and stored, in order
    }

    get id() { return this.rec.id; }

    changed(event) { this.onChange(this, event || ""); }

    headers(extra) { return { "X-Recording-Token": this.rec.token, ...extra }; }

    // Seconds made but not yet logged (0 once the queue is empty).
    get waitingMs() {
      return this.queued > 0 ? Math.max(0, this.rec.madeMs - this.rec.loggedMs) : 0;
    }

    // A chunk from MediaRecorder: hashed, then stored, then sent. Kept in order by `pending`.
    add(blob, endMs) {
      this.pending = this.pending.then(() => this.store(blob, endMs)).catch((error) => {
        this.halt(new Halt("This phone could not keep the recording (its storage may be " +
          `full): ${error.message || error}. What was already sent is safe.`));
      });
      return this.pending;
    }

    async store(blob, endMs) {
      const sha = TLOG.hex(await sha256(await blob.arrayBuffer()));
      const rec = this.rec;
      const chunk = { recording: rec.id, seq: rec.made, prev: rec.lastSha, sha, size: blob.size, endMs, blob };
      const before = { made: rec.made, lastSha: rec.lastSha, madeMs: rec.madeMs };
      Object.assign(rec, { made: rec.made + 1, lastSha: sha, madeMs: endMs });
      try {
        await STORE.enqueue(rec, chunk);
      } catch (error) {
        Object.assign(rec, before);
        throw error;
      }
      this.queued += 1;
      this.changed("queued");
      this.drain();
    }

    drain() {
      this.kick = true;
      if (!this.draining && !this.problem) this.loop();
    }

    idle() {
      return this.draining ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
    }

    // Waits ms, or less if the browser says it is online again.
    pause(ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          window.removeEventListener("online", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        window.addEventListener("online", done);
      });
    }

    async loop() {
      this.draining = true;
      let delay = 0;
      try {
        while (this.kick && !this.problem) {
          this.kick = false;
          for (let chunk = await STORE.first(this.id); chunk; chunk = await STORE.first(this.id)) {
            const outcome = await this.send(chunk);
            if (outcome.sent) {
              delay = 0;
              if (this.offline) {
                this.offline = false;
                this.changed("online");
              }
              this.changed("logged");
              continue;
            }
            if (outcome.offline && !this.offline) {
              this.offline = true;
              this.changed("offline");
            }
            delay = outcome.after || Math.min(MAX_WAIT_MS, delay ? delay * 2 : 1000);
            await this.pause(delay);
          }
        }
      } catch (error) {
        this.halt(error);
      } finally {
        this.draining = false;
        try { this.queued = await STORE.queued(this.id); } catch { /* keep the count we have */ }
        this.changed("");
        for (const resolve of this.waiters.splice(0)) resolve();
      }
    }

    halt(error) {
      this.problem = error instanceof Halt ? error.message
        : "Sending stopped on this phone. Reload the page to carry on: nothing kept here is lost.";
      this.changed("problem");
    }

    // One PUT. Resolves {sent: true}, or {after?, offline?} to try again; throws Halt.
    async send(chunk) {
      const headers = this.headers({
        "Content-Type": "application/octet-stream",
        "X-Content-SHA256": chunk.sha,
        "X-Chunk-End-Ms": String(chunk.endMs),
      });
      if (chunk.prev) headers["X-Prev-SHA256"] = chunk.prev;
      let response;
      let answer;
      try {
        response = await fetch(`/api/v1/live/${this.id}/chunks/${chunk.seq}`, {
          method: "PUT", headers, body: chunk.blob, cache: "no-store",
        });
        answer = await response.json();
      } catch {
        return { offline: true };
      }
      const code = response.status;
      if (response.ok) {
        this.server = answer.status || this.server; // how far the server has it, and the contact
        await this.check(chunk, answer);
        await this.logged(chunk);
        this.tries = 0;
        return { sent: true };
      }
      if (code === 429) return { after: 1000 * Number(response.headers.get("Retry-After") || 30) };
      if (code >= 500 || code === 408) return {};
      if (code === 422 && ++this.tries < 5) return {}; // bytes spoilt on the way: again
      if (code === 409) return this.resync(chunk, detailOf(answer));
      throw new Halt(`The site refused part ${chunk.seq + 1}: ${detailOf(answer) || `error ${code}`}. ` +
        "It is kept on this phone.");
    }

    // Refused as out of order or the like: ask the server how far it has the recording and
    // carry on from there, or say plainly why that cannot be.
    async resync(chunk, detail) {
      let status;
      try {
        status = await this.status();
      } catch (error) {
        if (error instanceof Halt) throw error;
        return { offline: true };
      }
      if (status.state === "finished") {
        throw new Halt("This recording was already ended, so nothing more can be added to it.");
      }
      if (status.chunks < chunk.seq) {
        throw new Halt(`The site is missing parts ${status.chunks + 1} to ${chunk.seq}, which ` +
          "this phone no longer has; the parts before them are safe.");
      }
      if (status.chunks === chunk.seq && ++this.tries < 5) return { after: 500 };
      throw new Halt(`The site refused part ${chunk.seq + 1}: ${detail}. It is kept on this phone.`);
    }

    async status() {
      const response = await fetch(`/api/v1/live/${this.id}`, { headers: this.headers({}), cache: "no-store" });
      const answer = await response.json();
      if (!response.ok) {
        if (response.status >= 500 || response.status === 429) throw new Error("try again");
        throw new Halt(`The site cannot find this recording: ${detailOf(answer)}.`);
      }
      return answer;
    }

    // The answer must be about this chunk, and its receipt must prove it is in the log.
    async check(chunk, answer) {
      const refuse = (why) => {
        throw new Halt(`The site's receipt for part ${chunk.seq + 1} ${why}: the part is kept ` +
          "on this phone and was not counted as safe.");
      };
      if (answer.seq !== chunk.seq || answer.sha256 !== chunk.sha || answer.size !== chunk.size) {
        refuse("is for other bytes than this phone recorded");
      }
      let entry;
      try { // the entry checked as entry.py reads it, then inclusion and signature
        entry = (await TLOG.checkReceipt(answer.receipt, await logKey(this.keyText))).entry;
      } catch (error) {
        refuse(`does not verify (${error instanceof TLOG.VerifyError ? error.message : "no proof"})`);
      }
      const prev = chunk.seq === 0 ? null : chunk.prev;
      if (entry.kind !== "live-chunk" || entry.recording !== this.id || entry.seq !== chunk.seq ||
          entry.prev_sha256 !== prev || entry.sha256 !== chunk.sha || entry.size !== chunk.size) {
        refuse("does not name this part's own SHA-256, number and previous part");
      }
    }

    async logged(chunk) {
      const rec = this.rec;
      if (!rec.logged.some((part) => part.seq === chunk.seq)) {
        rec.logged.push({ seq: chunk.seq, sha: chunk.sha, size: chunk.size });
      }
      rec.loggedMs = Math.max(rec.loggedMs, chunk.endMs);
      await STORE.logged(rec, chunk.seq);
      this.queued = Math.max(0, this.queued - 1);
    }

    // Stop for good: send what is queued, then end the recording on the server. Resolves
    // with what the finish answered, or null (nothing recorded, or a problem shown).
    async finish() {
      const rec = this.rec;
      await this.pending;
      rec.stopped = true;
      rec.recordedChunks = rec.made;
      await STORE.save(rec);
      this.finishing = true;
      this.changed("finishing");
      let delay = 0;
      let refused = 0;
      for (;;) {
        this.drain();
        await this.idle();
        if (this.problem) return null;
        if (rec.made === 0) {
          await STORE.forget(rec.id);
          return null;
        }
        if (await STORE.queued(rec.id)) continue;
        const answer = await this.end();
        if (answer.finished) {
          rec.finished = {
            bundle: { ...answer.finished.bundle, recorded_chunks: rec.made },
            whole: answer.finished.whole,
            receipt: answer.finished.receipt,
            claim: answer.finished.claim,
          };
          await STORE.save(rec);
          this.finishing = false;
          this.changed("finished");
          return rec.finished;
        }
        if (answer.refused && ++refused >= 5) {
          this.halt(new Halt(`The site could not end the recording: ${answer.refused}`));
          return null;
        }
        if (answer.offline && !this.offline) {
          this.offline = true;
          this.changed("offline");
        }
        delay = answer.after || Math.min(MAX_WAIT_MS, delay ? delay * 2 : 1000);
        await this.pause(delay);
      }
    }

    async end() {
      let response;
      let answer;
      try {
        response = await fetch(`/api/v1/live/${this.id}/finish`, {
          method: "POST",
          headers: this.headers({ "Content-Type": "application/json" }),
          body: JSON.stringify({ recorded_chunks: this.rec.made }),
        });
        answer = await response.json();
      } catch {
        return { offline: true };
      }
      if (response.ok) {
        this.offline = false;
        return { finished: answer };
      }
      if (response.status === 429) return { after: 1000 * Number(response.headers.get("Retry-After") || 30) };
      if (response.status >= 500) return {};
      return { refused: detailOf(answer) || `error ${response.status}`, after: 1000 };
    }
  }

  return { Session, Halt, logKey, sha256 };
})();
