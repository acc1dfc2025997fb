// Witness policies in the browser: C2SP tlog-policy files (log, witness, group and quorum
// lines) and tlog-cosignature (timestamped Ed25519 cosignature/v1 lines on a checkpoint).
// Hand-written for the same reason as tlog.js (no maintained browser library reads these
// formats); it mirrors src/openwitness/ledger/cosignature.py rule for rule, with its wording,
// and uses only the browser's own SHA-256 and Ed25519. Nothing leaves the page.
"use strict";

const OW_POLICY = (() => {
  const ALG_COSIGNATURE_V1 = 4;
  const EM_DASH = "\u2014 ";
  const NAME_RE = /^[^\s+]+$/;
  const encoder = new TextEncoder();
  const VerifyError = TLOG.VerifyError;

  class PolicyError extends VerifyError {}

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function decode(text) { // strict standard base64, as note.py's b64decode_strict
    try {
      return Uint8Array.from(atob(/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0 ? text : "!"),
        (c) => c.charCodeAt(0));
    } catch (e) {
      throw new Error("not standard base64");
    }
  }

  async function witnessKeyId(name, publicKey) {
    const digest = await crypto.subtle.digest("SHA-256",
      concat(encoder.encode(name + "\n"), Uint8Array.of(ALG_COSIGNATURE_V1), publicKey));
    return new Uint8Array(digest).slice(0, 4);
  }

  async function parseWitnessKey(vkey) {
    const text = vkey.trim();
    const first = text.indexOf("+");
    const second = first < 0 ? -1 : text.indexOf("+", first + 1);
    const name = text.slice(0, first);
    if (second < 0 || !NAME_RE.test(name)) {
      throw new Error("a witness key must be <name>+<hex key id>+<base64 key>");
    }
    const hexId = text.slice(first + 1, second);
    const raw = decode(text.slice(second + 1));
    if (raw.length !== 33 || raw[0] !== ALG_COSIGNATURE_V1) {
      throw new Error("a witness key must be an Ed25519 cosignature/v1 key (type 0x04)");
    }
    if (TLOG.hex(await witnessKeyId(name, raw.slice(1))) !== hexId) {
      throw new Error("the witness key's id does not match its key");
    }
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw new VerifyError("this browser cannot check Ed25519 signatures; use 'witness verify'");
    }
    return { name, id: hexId, key };
  }

  function threshold(word, members, where) {
    if (word === "all") return members;
    if (word === "any") return 1;
    if (!/^[0-9]+$/.test(word) || Number(word) < 1 || Number(word) > members) {
      throw new PolicyError(`${where}: the threshold must be all, any or 1 to ${members}`);
    }
    return Number(word);
  }

  // The same rules, in the same order, as parse_policy; errors name the line.
  async function parse(text) {
    const policy = { logs: [], witnesses: new Map(), groups: new Map(), quorum: null };
    const taken = (name) => name === "none" || policy.witnesses.has(name) || policy.groups.has(name);
    const lines = text.split("\n");
    for (let number = 1; number <= lines.length; number++) {
      const words = lines[number - 1].split(/\s+/).filter((w) => w !== "");
      if (!words.length || words[0].startsWith("#")) continue;
      const where = `policy line ${number}`;
      const [kind, ...args] = words;
      try {
        if (kind === "log" && args.length >= 1 && args.length <= 2) {
          policy.logs.push(await TLOG.parseKey(args[0]));
        } else if (kind === "witness" && args.length >= 2 && args.length <= 3) {
          if (taken(args[0])) throw new PolicyError(`${where}: the name '${args[0]}' is taken`);
          policy.witnesses.set(args[0], await parseWitnessKey(args[1]));
        } else if (kind === "group" && args.length >= 3) {
          if (taken(args[0])) throw new PolicyError(`${where}: the name '${args[0]}' is taken`);
          const members = args.slice(2);
          if (new Set(members).size !== members.length) {
            throw new PolicyError(`${where}: a member is listed twice`);
          }
          for (const member of members) {
            if (!policy.witnesses.has(member) && !policy.groups.has(member)) {
              throw new PolicyError(`${where}: '${member}' is not defined above`);
            }
          }
          policy.groups.set(args[0], [threshold(args[1], members.length, where), members]);
        } else if (kind === "quorum" && args.length === 1) {
          if (policy.quorum !== null) throw new PolicyError(`${where}: a second quorum line`);
          if (args[0] !== "none" && !policy.witnesses.has(args[0]) && !policy.groups.has(args[0])) {
            throw new PolicyError(`${where}: '${args[0]}' is not defined above`);
          }
          policy.quorum = args[0];
        } else {
          throw new PolicyError(`${where}: not a log, witness, group or quorum line`);
        }
      } catch (e) {
        if (e instanceof PolicyError) throw e;
        throw new PolicyError(`${where}: ${e.message}`);
      }
    }
    if (policy.quorum === null) {
      throw new PolicyError("the policy has no quorum line (use 'quorum none' for no witnesses)");
    }
    return policy;
  }

  function satisfied(policy, cosigned, name) {
    if (name === "none") return true;
    if (policy.witnesses.has(name)) return cosigned.has(name);
    const [needed, members] = policy.groups.get(name);
    return members.filter((member) => satisfied(policy, cosigned, member)).length >= needed;
  }

  // The policy's witnesses (by the policy's names) whose valid cosignature the note carries.
  async function cosignedBy(note, policy) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new VerifyError("checkpoint is not a signed note");
    const text = note.slice(0, cut + 1);
    const lines = note.slice(cut + 2).split("\n").filter((l) => l.startsWith(EM_DASH));
    const found = new Set();
    for (const [label, witness] of policy.witnesses) {
      for (const line of lines) {
        const [name, encoded] = line.slice(EM_DASH.length).split(" ");
        if (name !== witness.name) continue;
        let blob;
        try { blob = decode(encoded || ""); } catch (e) { continue; }
        if (blob.length !== 4 + 8 + 64 || TLOG.hex(blob.slice(0, 4)) !== witness.id) continue;
        const time = new DataView(blob.buffer, 4, 8).getBigUint64(0);
        if (time <= 0n || time >= 2n ** 63n) continue;
        const message = encoder.encode(`cosignature/v1\ntime ${time}\n${text}`);
        if (await crypto.subtle.verify({ name: "Ed25519" }, witness.key, blob.slice(12), message)) {
          found.add(label);
        }
      }
    }
    return found;
  }

  // The names of the witnesses that cosigned, sorted; throws unless a log the policy lists
  // signed the checkpoint (when it lists any) and the quorum is met.
  async function check(policy, note) {
    if (policy.logs.length) {
      let signed = false;
      for (const log of policy.logs) {
        try { await TLOG.openCheckpoint(note, log); signed = true; break; } catch (e) {
          if (!(e instanceof VerifyError)) throw e;
        }
      }
      if (!signed) {
        const names = policy.logs.map((l) => `${l.name}+${TLOG.hex(l.id)}`).join(", ");
        throw new VerifyError(`the checkpoint is not signed by a trusted key (${names})`);
      }
    }
    const cosigned = await cosignedBy(note, policy);
    if (!satisfied(policy, cosigned, policy.quorum)) {
      const have = [...cosigned].sort().join(", ") || "none";
      throw new VerifyError(
        "the checkpoint is not cosigned by enough witnesses for the policy " +
          `(quorum ${policy.quorum}; valid cosignatures from: ${have})`);
    }
    return [...cosigned].sort();
  }

  // The key a policy gives for the log a checkpoint names (its origin line), or null.
  function logKey(policy, note) {
    const origin = note.split("\n", 1)[0];
    return policy.logs.find((log) => log.name === origin) || null;
  }

  return { PolicyError, parse, check, cosignedBy, logKey };
})();
