// The live page's memory on this phone (IndexedDB): each recording (its id, its token, how far
// it got) and the queue of chunks not yet logged by the server. A chunk is stored here before
// it is sent, so a reload, a crash or a dead connection loses nothing: the next visit to /live
// finds the queue and carries on sending it. The token never goes into an address.
"use strict";

const OW_LIVE_STORE = (() => {
  const NAME = "ow-live";
  let opened = null;

  function open() {
    opened = opened || new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("recordings", { keyPath: "id" });
        db.createObjectStore("chunks", { keyPath: ["recording", "seq"] });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the page's storage is in use by another tab"));
    });
    return opened;
  }

  function asked(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // Runs work(stores...) in one transaction; resolves with its result once it is committed.
  async function run(names, mode, work) {
    const db = await open();
    const tx = db.transaction(names, mode);
    const committed = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("storage transaction aborted"));
    });
    const result = await work(...names.map((n) => tx.objectStore(n)));
    await committed;
    return result;
  }

  const queueOf = (id) => IDBKeyRange.bound([id, 0], [id, Infinity]);

  return {
    recordings: () => run(["recordings"], "readonly", (r) => asked(r.getAll())),
    save: (rec) => run(["recordings"], "readwrite", (r) => asked(r.put(rec))),
    // The chunk and the recording's new count together: never one without the other.
    enqueue: (rec, chunk) => run(["recordings", "chunks"], "readwrite", (r, c) => {
      c.put(chunk);
      return asked(r.put(rec));
    }),
    first: (id) => run(["chunks"], "readonly", async (c) => {
      const cursor = await asked(c.openCursor(queueOf(id)));
      return cursor ? cursor.value : null;
    }),
    queued: (id) => run(["chunks"], "readonly", (c) => asked(c.count(queueOf(id)))),
    // Logged by the server, receipt checked: out of the queue, into the recording's list.
    logged: (rec, seq) => run(["recordings", "chunks"], "readwrite", (r, c) => {
      c.delete([rec.id, seq]);
      return asked(r.put(rec));
    }),
    forget: (id) => run(["recordings", "chunks"], "readwrite", (r, c) => {
      c.delete(queueOf(id));
      return asked(r.delete(id));
    }),
  };
})();
