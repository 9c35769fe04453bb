// The officer app's sync engine: docs/sync-protocol.md, implemented for the browser.
//
// - Every change the officer makes goes into the outbox first (IndexedDB), with a
//   mutation id and device_seq, and shows at once as a local record.
// - sync() pushes the outbox oldest first (a lost answer is retried with the same batch,
//   unchanged), uploads photos, then pulls until has_more is false.
// - 409 reset-required: push everything still held (pending, and acknowledged within
//   14 days) and upload the photos the server lacks, only then drop local records and
//   the cursor, and bootstrap.
// - 401 invalid-token (a revoked device): wipe everything local.
// - 401 token-expired (expired, or signed out by a password change): sign in again; the
//   outbox and the data stay.
//
// One sync runs at a time across every tab of the app (a Web Lock), and each run reads
// the outbox and the session from IndexedDB first, so two tabs never undo each other.
// Signing out or a wipe bumps a generation number: a run still in flight notices and
// writes nothing more.
//
// The engine's steps live by concern: push.js (sending the outbox), pull.js (applying
// pages), photos.js, and session.js (signing in and out, the token). They reach each
// other through the engine's methods, as before the split, so those methods stay the
// engine's public shape and a test may stand in for one (check(), say).

import { api, ApiError, Offline } from "../web/api.js";
import { nowWithOffset } from "../web/ui.js";
import { loadDay, refreshDay } from "./day.js";
import { dismissPhoto, keepPhoto, sendAgain, uploadWaiting } from "./photos.js";
import { applyPage, bootstrapAgain, mergePage, pullAll } from "./pull.js";
import { bySeq, pushOutbox, resendAll } from "./push.js";
import { rotateTokenIfOld, signIn, signOut, wipe } from "./session.js";
import * as store from "./store.js";

const RETRY_MAX_S = 300;

class Stale extends Error {} // this run belongs to a session that has ended

// A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, the version, random bits, the
// variant. Ids made in time order land next to each other in the server's indexes, so a
// database grown over years still takes a push in few pages (docs/scaling.md); the server
// takes any UUID, so ids queued by older versions of the app (random v4) still sync.
export function uuid7(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 5, ms = now; i >= 0; i--, ms = Math.floor(ms / 256)) bytes[i] = ms % 256;
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const at = [0, 8, 12, 16, 20, 32];
  return at.slice(1).map((end, i) => hex.slice(at[i], end)).join("-");
}

export class Engine extends EventTarget {
  constructor() {
    super();
    this.session = null; // {token, device, user, issued_at}
    this.records = new Map(); // "<type>:<id>" -> {key, type, id, data, local}
    this.outbox = new Map(); // mutation_id -> entry
    this.photos = new Map(); // sha256 -> {sha256, uploaded, error}
    this.state = "idle"; // idle | syncing | offline | error
    this.message = "";
    this.lastSync = null;
    this.patchIds = [];
    this.day = null; // day.js: the patches held and the homes' priorities
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.retryAt = 0;
    this.timer = null;
    this.batch = 100; // halved on 413 payload-too-large
    this.generation = 0;
  }

  async load() {
    this.session = (await store.getMeta("session")) || null;
    this.lastSync = (await store.getMeta("last_sync")) || null;
    this.patchIds = (await store.getMeta("patch_ids")) || [];
    await loadDay(this);
    this.records.clear();
    for (const record of await store.all("records")) this.records.set(record.key, record);
    await this.reloadOutbox();
    this.emit("change");
  }

  async reloadOutbox() {
    this.outbox.clear();
    for (const entry of await store.all("outbox")) this.outbox.set(entry.mutation.mutation_id, entry);
    this.photos.clear();
    for (const photo of await store.all("photos")) {
      const { sha256, uploaded, error, dismissed } = photo;
      this.photos.set(sha256, { sha256, uploaded, error, dismissed });
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // --- what the screens read -------------------------------------------------------

  list(type) {
    const found = [];
    for (const record of this.records.values()) if (record.type === type) found.push(record.data);
    return found;
  }

  one(type, id) {
    return this.records.get(store.keyOf(type, id))?.data;
  }

  status() {
    const entries = [...this.outbox.values()];
    return {
      state: this.state,
      message: this.message,
      lastSync: this.lastSync,
      waiting: entries.filter((e) => e.state === "pending").sort(bySeq),
      rejected: entries.filter((e) => e.state === "rejected" && !e.dismissed),
      conflicts: entries.filter((e) => e.state === "conflict" && !e.dismissed),
      photosWaiting: [...this.photos.values()].filter((p) => !p.uploaded && !p.error).length,
      photosFailed: [...this.photos.values()].filter((p) => p.error && !p.dismissed),
    };
  }

  // --- signing in and out (session.js) ---------------------------------------------

  login(username, password, deviceName) {
    return signIn(this, username, password, deviceName);
  }

  logout() {
    return signOut(this);
  }

  forget({ fromSync = false } = {}) {
    return wipe(this, { fromSync });
  }

  // --- recording offline ----------------------------------------------------------

  // Queue one mutation, and show its record at once. Returns the entity id.
  async record(entityType, op, payload, { entityId, baseVersion = null, local } = {}) {
    const id = entityId || uuid7();
    const observedAt = nowWithOffset();
    const mutation = {
      mutation_id: uuid7(),
      device_seq: 0,
      entity_type: entityType,
      entity_id: id,
      op,
      base_version: baseVersion,
      observed_at: observedAt,
      payload,
    };
    const entry = { mutation, state: "pending", created_at: Date.now() };
    const shown = local
      ? { key: store.keyOf(entityType, id), type: entityType, id, local: true,
          data: { observed_at: observedAt, ...local, id } }
      : null;
    await store.write(["meta", "outbox", "records"], async ({ meta, outbox, records }) => {
      const seq = await store.request(meta.get("next_seq"));
      mutation.device_seq = seq || 1;
      meta.put(mutation.device_seq + 1, "next_seq");
      outbox.put(entry);
      if (shown && op === "update") {
        // An edit goes on top of the copy held now, which a sync (of any tab) may have
        // brought since the screen was drawn: the next push says the phone holds it.
        const held = await store.request(records.get(shown.key));
        if (held) shown.data = { ...held.data, ...payload };
      }
      if (shown) records.put(shown);
    });
    this.outbox.set(mutation.mutation_id, entry);
    if (shown) this.records.set(shown.key, shown);
    this.emit("change");
    this.soon();
    return id;
  }

  // Keep a photo taken for a record; returns its SHA-256, which the record names.
  addPhoto(file) {
    return keepPhoto(this, file);
  }

  dismissPhoto(sha256) {
    return dismissPhoto(this, sha256);
  }

  // Whether a change to this record still waits in the outbox: "not sent yet" is true
  // only then (a record pushed but not yet pulled back has been sent).
  isWaiting(type, id) {
    for (const entry of this.outbox.values()) {
      const m = entry.mutation;
      if (entry.state === "pending" && m.entity_type === type && String(m.entity_id) === String(id)) return true;
    }
    return false;
  }

  async dismiss(mutationId) {
    const entry = this.outbox.get(mutationId);
    entry.dismissed = true;
    await store.write(["outbox"], ({ outbox }) => outbox.put(entry));
    this.emit("change");
  }

  // --- talking to the server ----------------------------------------------------

  // Sync shortly (after a change), without waiting for it.
  soon(delayMs = 300) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sync().catch(() => {}), delayMs);
  }

  // The minute timer: not while a backoff or the server's Retry-After is running.
  tick() {
    if (Date.now() >= this.retryAt) this.sync().catch(() => {});
  }

  // One sync at a time. Asked for while one runs (a record saved mid-sync), another
  // follows it, so nothing waits for the next timer.
  async sync() {
    if (!this.session?.token) return;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const locked = navigator.locks
      ? navigator.locks.request("doorstep-sync", () => this.run())
      : this.run();
    this.running = locked.finally(() => {
      this.running = null;
      if (this.again && this.state === "idle") this.soon(0);
      this.again = false;
    });
    return this.running;
  }

  check(generation) {
    if (generation !== this.generation) throw new Stale();
  }

  async run() {
    const generation = this.generation;
    this.setState("syncing", "Syncing…");
    try {
      // Another tab may have recorded, synced or rotated the token since.
      this.session = (await store.getMeta("session")) || null;
      if (!this.session?.token) return this.setState("idle", "");
      await this.reloadOutbox();
      await this.push(false, generation);
      await this.uploadPhotos(generation);
      await this.pull(generation);
      await refreshDay(this, generation);
      await this.rotateIfOld(generation);
      this.lastSync = new Date().toISOString();
      await store.setMeta({ last_sync: this.lastSync });
      this.failures = 0;
      this.retryAt = 0;
      this.setState("idle", "");
    } catch (error) {
      if (error instanceof Stale) return;
      await this.failed(error, generation);
    }
  }

  async failed(error, generation) {
    if (error instanceof ApiError) {
      if (error.code === "reset-required") return this.reset(generation);
      if (error.code === "bad-cursor") {
        // A cursor this server did not issue (e.g. its secret changed): bootstrap.
        await store.setMeta({ cursor: undefined });
        return this.retry(0, "error", "The server did not know this phone's place: downloading again.");
      }
      if (error.status === 413 && this.batch > 1) {
        this.batch = Math.max(1, Math.floor(this.batch / 2));
        return this.retry(0, "syncing", "Sending in smaller batches…");
      }
      if (error.status === 401) {
        if (error.code === "token-expired") {
          this.session = { ...this.session, token: null };
          await store.setMeta({ session: this.session });
          const why = /password/i.test(error.detail || "") ? "Your password was changed." : "Your sign-in has expired.";
          this.setState("error", `${why} Sign in again: nothing unsent is lost.`);
          this.emit("signedout", { expired: true, passwordChanged: /password/i.test(error.detail || "") });
        } else {
          // A revoked device (a lost phone): nothing personal may stay on it.
          await this.forget({ fromSync: true });
          this.setState("error", "This device was signed out by your team leader. Its data has been removed.");
          this.emit("signedout", { revoked: true });
        }
        return;
      }
      if (error.code === "password-change-required") {
        return this.setState("error", "Change your password (ask your team leader) before this phone can sync.");
      }
    }
    this.failures += 1;
    const wait = error.retryAfter || Math.min(RETRY_MAX_S, 2 ** Math.min(this.failures, 8));
    if (error instanceof Offline) {
      this.retry(wait, "offline", "Offline: records wait on this phone until there is signal.");
    } else {
      this.retry(wait, "error", `Sync failed: ${error.message} Trying again in ${wait} s.`);
    }
  }

  retry(seconds, state, message) {
    this.retryAt = Date.now() + seconds * 1000;
    this.setState(state, message);
    this.soon(seconds * 1000);
  }

  setState(state, message) {
    this.state = state;
    this.message = message;
    this.emit("change");
  }

  // --- the steps of a sync (push.js, photos.js, pull.js, session.js) ---------------

  push(withAcknowledged, generation) {
    return pushOutbox(this, withAcknowledged, generation);
  }

  uploadPhotos(generation) {
    return uploadWaiting(this, generation);
  }

  wanted(digests) {
    return sendAgain(this, digests);
  }

  pull(generation) {
    return pullAll(this, generation);
  }

  apply(page, generation) {
    return applyPage(this, page, generation);
  }

  merge(page, pending) {
    return mergePage(this.records, page, pending);
  }

  // 409 reset-required: the server was restored from a backup.
  async reset(generation) {
    this.setState("syncing", "The server was restored from a backup: sending everything first…");
    try {
      await resendAll(this, generation); // never drop unsent work: upload first
      await bootstrapAgain(this, generation);
      this.lastSync = new Date().toISOString();
      await store.setMeta({ last_sync: this.lastSync });
      this.failures = 0;
      this.setState("idle", "");
    } catch (error) {
      if (error instanceof Stale) return;
      await this.failed(error, generation);
    }
  }

  rotateIfOld(generation) {
    return rotateTokenIfOld(this, generation);
  }

  async planDay(date) {
    await api("POST", "/plans", { token: this.session.token, body: { date } });
    await this.sync();
  }

  // Re-plan the rest of the day from here (POST /plans/{id}/replan); the new plan
  // arrives by sync and supersedes the old one.
  async replan(planId, body) {
    await api("POST", `/plans/${planId}/replan`, { token: this.session.token, body });
    await this.sync();
  }
}
