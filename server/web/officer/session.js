// Signing in and out on the phone, wiping it, and rotating the token before it expires.

import { api, ApiError, Offline } from "../web/api.js";
import { bySeq } from "./push.js";
import * as store from "./store.js";

// Another user cannot sign in while the first one's records wait to be sent. A new
// sign-in is a new device: unsent mutations are numbered from 1 again.
export async function signIn(engine, username, password, deviceName) {
  await engine.reloadOutbox();
  const previous = (await store.getMeta("session"))?.user;
  const pending = [...engine.outbox.values()].filter((e) => e.state === "pending").sort(bySeq);
  if (previous && previous.username !== username && pending.length) {
    throw new Error(
      `${pending.length} record(s) by ${previous.display_name} (${previous.username}) have not ` +
        `been sent yet. ${previous.username} must sign in and sync first.`,
    );
  }
  const result = await api("POST", "/auth/login", {
    body: { username, password, device_name: deviceName },
  });
  if (result.user.role !== "officer") {
    // The app is for officers: others are told where their screens are, and keep nothing
    // here (the token just issued is revoked at once).
    await api("POST", "/auth/logout", { token: result.token }).catch(() => {});
    throw Object.assign(new Error(notForOfficers(result.user)), { code: "not-an-officer" });
  }
  if (previous && previous.id !== result.user.id) await engine.forget();
  engine.session = { token: result.token, device: result.device, user: result.user, issued_at: Date.now() };
  // A new device numbers its mutations from 1; unsent ones keep their order (their
  // content, and so their deduplication, does not include the number).
  await store.write(["meta", "outbox"], ({ meta, outbox }) => {
    pending.forEach((entry, i) => {
      entry.mutation.device_seq = i + 1;
      outbox.put(entry);
    });
    meta.put(pending.length + 1, "next_seq");
    meta.put(engine.session, "session");
  });
  engine.failures = 0;
  engine.retryAt = 0;
  engine.emit("change");
  return engine.session;
}

const CONSOLE_ROLES = {
  team_leader: "Team leaders",
  maintenance: "Maintenance",
  safeguarding_lead: "Safeguarding leads",
  admin: "Administrators",
};

export function notForOfficers(user) {
  const who = CONSOLE_ROLES[user.role] || "Staff who are not officers";
  return `This app is for housing officers. ${who} use the console at /console/.`;
}

export async function signOut(engine) {
  const waiting = await store.all("outbox", "state", "pending");
  if (waiting.length) {
    throw new Error(`${waiting.length} record(s) have not been sent yet. Sync before signing out.`);
  }
  const token = engine.session?.token;
  await engine.forget();
  try {
    await api("POST", "/auth/logout", { token });
  } catch (error) {
    if (!(error instanceof ApiError) && !(error instanceof Offline)) throw error;
  }
}

// Wipe everything local. From outside a sync, a sync still in flight is waited for
// (it writes nothing more once the generation moves on), then the wipe is repeated.
export async function wipe(engine, { fromSync = false } = {}) {
  engine.generation += 1;
  const running = fromSync ? null : engine.running;
  await store.wipe();
  if (running) {
    await running.catch(() => {});
    await store.wipe();
  }
  engine.session = null;
  engine.records.clear();
  engine.outbox.clear();
  engine.photos.clear();
  engine.lastSync = null;
  engine.patchIds = [];
  engine.day = null;
  engine.emit("change");
}

// Rotate the token in the second half of its life (the old one keeps working until
// the new one is first used, so a lost answer does no harm).
export async function rotateTokenIfOld(engine, generation) {
  const { device, issued_at: issued } = engine.session;
  if (!device?.expires_at || !issued) return;
  const expires = new Date(device.expires_at).getTime();
  if (Date.now() < issued + (expires - issued) / 2) return;
  const result = await api("POST", "/auth/rotate", { token: engine.session.token });
  engine.check(generation);
  engine.session = { ...engine.session, token: result.token, device: result.device, issued_at: Date.now() };
  await store.setMeta({ session: engine.session });
}
