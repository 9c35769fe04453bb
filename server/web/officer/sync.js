// The officer app's sync engine: docs/sync-protocol.md, implemented for the browser.
//
// - Every change the officer makes goes into the outbox first (IndexedDB), with a
//   mutation id and device_seq, and shows at once as a local record.
// - sync() uploads photos, pushes the outbox oldest first (a lost answer is retried with
//   the same batch, unchanged), then pulls until has_more is false.
// - 409 reset-required: push everything still held (pending, and acknowledged within
//   14 days), only then drop local records and the cursor, and bootstrap.
// - 401 invalid-token (a revoked device): wipe everything local.
// - 401 token-expired: sign in again; the outbox and the data stay.

import { api, ApiError, Offline } from "../web/api.js";
import { nowWithOffset } from "../web/ui.js";
import * as store from "./store.js";

const RETENTION_MS = 14 * 24 * 3600 * 1000;
const BATCH = 100;
const PAGE = 2000;
const RETRY_MAX_S = 300;

export class Engine extends EventTarget {
  constructor() {
    super();
    this.session = null; // {token, device, user}
    this.records = new Map(); // "<type>:<id>" -> {key, type, id, data, local}
    this.outbox = new Map(); // mutation_id -> entry
    this.photos = new Map(); // sha256 -> {sha256, uploaded, error}
    this.state = "idle"; // idle | syncing | offline | error
    this.message = "";
    this.lastSync = null;
    this.patchIds = [];
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.timer = null;
  }

  async load() {
    this.session = (await store.getMeta("session")) || null;
    this.lastSync = (await store.getMeta("last_sync")) || null;
    this.patchIds = (await store.getMeta("patch_ids")) || [];
    for (const record of await store.all("records")) this.records.set(record.key, record);
    for (const entry of await store.all("outbox")) this.outbox.set(entry.mutation.mutation_id, entry);
    for (const photo of await store.all("photos")) {
      this.photos.set(photo.sha256, { sha256: photo.sha256, uploaded: photo.uploaded, error: photo.error });
    }
    this.emit("change");
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
      photosFailed: [...this.photos.values()].filter((p) => p.error),
    };
  }

  // --- signing in and out --------------------------------------------------------

  async login(username, password, deviceName) {
    const result = await api("POST", "/auth/login", {
      body: { username, password, device_name: deviceName },
    });
    const previous = this.session?.user;
    if (previous && previous.id !== result.user.id) await this.forget();
    this.session = { token: result.token, device: result.device, user: result.user };
    // A new device numbers its mutations from 1; unsent ones keep their order.
    const pending = [...this.outbox.values()].filter((e) => e.state === "pending").sort(bySeq);
    await store.write(["meta", "outbox"], ({ meta, outbox }) => {
      pending.forEach((entry, i) => {
        entry.mutation.device_seq = i + 1;
        outbox.put(entry);
      });
      meta.put(pending.length + 1, "next_seq");
      meta.put(this.session, "session");
    });
    this.emit("change");
    return this.session;
  }

  async logout() {
    if (this.status().waiting.length) {
      throw new Error("Some records have not been sent yet. Sync before signing out.");
    }
    try {
      await api("POST", "/auth/logout", { token: this.session?.token });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    await this.forget();
  }

  async forget() {
    await store.wipe();
    this.session = null;
    this.records.clear();
    this.outbox.clear();
    this.photos.clear();
    this.lastSync = null;
    this.patchIds = [];
    this.emit("change");
  }

  // --- recording offline ----------------------------------------------------------

  // Queue one mutation, and show its record at once. Returns the entity id.
  async record(entityType, op, payload, { entityId, baseVersion = null, local } = {}) {
    const id = entityId || crypto.randomUUID();
    const mutation = {
      mutation_id: crypto.randomUUID(),
      device_seq: 0,
      entity_type: entityType,
      entity_id: id,
      op,
      base_version: baseVersion,
      observed_at: nowWithOffset(),
      payload,
    };
    const entry = { mutation, state: "pending", created_at: Date.now() };
    const shown = local ? { key: store.keyOf(entityType, id), type: entityType, id, data: local, local: true } : null;
    await store.write(["meta", "outbox", "records"], async ({ meta, outbox, records }) => {
      const seq = await new Promise((resolve) => {
        const request = meta.get("next_seq");
        request.onsuccess = () => resolve(request.result || 1);
      });
      mutation.device_seq = seq;
      meta.put(seq + 1, "next_seq");
      outbox.put(entry);
      if (shown) records.put(shown);
    });
    this.outbox.set(mutation.mutation_id, entry);
    if (shown) this.records.set(shown.key, shown);
    this.emit("change");
    this.soon();
    return id;
  }

  async addPhoto(file) {
    const bytes = await file.arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const blob = new Blob([bytes], { type: file.type || "application/octet-stream" });
    await store.write(["photos"], ({ photos }) => photos.put({ sha256, blob, uploaded: false }));
    this.photos.set(sha256, { sha256, uploaded: false });
    return sha256;
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

  // One sync at a time. Asked for while one runs (a record saved mid-sync), another
  // follows it, so nothing waits for the next timer.
  async sync() {
    if (!this.session?.token) return;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again && this.state !== "offline" && this.state !== "error") this.soon(0);
      this.again = false;
    });
    return this.running;
  }

  async run() {
    this.setState("syncing", "Syncing…");
    try {
      await this.uploadPhotos();
      await this.push(false);
      await this.pull();
      await this.rotateIfOld();
      this.lastSync = new Date().toISOString();
      await store.setMeta({ last_sync: this.lastSync });
      this.failures = 0;
      this.setState("idle", "");
    } catch (error) {
      await this.failed(error);
    }
  }

  async failed(error) {
    if (error instanceof ApiError && error.code === "reset-required") {
      return this.reset();
    }
    if (error instanceof ApiError && error.status === 401) {
      if (error.code === "token-expired") {
        this.session = { ...this.session, token: null };
        await store.setMeta({ session: this.session });
        this.setState("error", "Your sign-in has expired. Sign in again: nothing unsent is lost.");
        this.emit("signedout", { expired: true });
      } else {
        // A revoked device (a lost phone): nothing personal may stay on it.
        await this.forget();
        this.setState("error", "This device was signed out by your team leader. Its data has been removed.");
        this.emit("signedout", { revoked: true });
      }
      return;
    }
    this.failures += 1;
    const wait = error.retryAfter || Math.min(RETRY_MAX_S, 2 ** Math.min(this.failures, 8));
    if (error instanceof Offline) {
      this.setState("offline", "Offline: records wait on this phone until there is signal.");
    } else {
      this.setState("error", `Sync failed: ${error.message}`);
    }
    this.soon(wait * 1000);
  }

  setState(state, message) {
    this.state = state;
    this.message = message;
    this.emit("change");
  }

  async uploadPhotos() {
    for (const photo of [...this.photos.values()]) {
      if (photo.uploaded || photo.error) continue;
      const saved = await store.get("photos", photo.sha256);
      try {
        await api("PUT", `/blobs/${photo.sha256}`, {
          token: this.session.token,
          raw: saved.blob,
          headers: { "Content-Type": saved.blob.type },
        });
        Object.assign(saved, { uploaded: true, blob: null });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status >= 500 || error.status === 401) throw error;
        saved.error = error.message; // not an image, too big: it will never upload
      }
      await store.write(["photos"], ({ photos }) => photos.put(saved));
      this.photos.set(photo.sha256, { sha256: photo.sha256, uploaded: saved.uploaded, error: saved.error });
    }
  }

  // Push the outbox, oldest first. withAcknowledged: also re-send every acknowledged
  // mutation still inside the retention window (a reset).
  async push(withAcknowledged) {
    const cutoff = Date.now() - RETENTION_MS;
    const due = [...this.outbox.values()]
      .filter((e) => e.state === "pending" || (withAcknowledged && (e.acked_at || 0) >= cutoff))
      .sort(bySeq);
    for (let i = 0; i < due.length; i += BATCH) {
      const batch = due.slice(i, i + BATCH);
      const answer = await api("POST", "/sync/push", {
        token: this.session.token,
        body: { mutations: batch.map((e) => e.mutation) },
      });
      const now = Date.now();
      const settled = [];
      answer.results.forEach((result, k) => {
        const entry = batch[k];
        if (entry.state !== "pending") return; // a re-send on reset: already settled
        entry.state = result.status === "duplicate" ? result.original?.status || "applied" : result.status;
        entry.result = result;
        entry.acked_at = now;
        settled.push(entry);
      });
      await store.write(["outbox", "records"], ({ outbox, records }) => {
        for (const entry of settled) {
          outbox.put(entry);
          if (entry.state === "rejected" && entry.mutation.op === "create") {
            const key = store.keyOf(entry.mutation.entity_type, entry.mutation.entity_id);
            records.delete(key);
            this.records.delete(key);
          }
        }
      });
      this.emit("change");
    }
    // Acknowledged mutations older than the retention window are no longer needed.
    const expired = [...this.outbox.values()].filter((e) => e.state !== "pending" && e.acked_at < cutoff);
    if (expired.length) {
      await store.write(["outbox"], ({ outbox }) => expired.forEach((e) => outbox.delete(e.mutation.mutation_id)));
      expired.forEach((e) => this.outbox.delete(e.mutation.mutation_id));
    }
  }

  async pull() {
    let cursor = await store.getMeta("cursor");
    for (;;) {
      const query = new URLSearchParams({ limit: PAGE });
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/sync/pull?${query}`, { token: this.session.token });
      await this.apply(page);
      cursor = page.cursor;
      if (!page.has_more) return;
    }
  }

  // One page: its changes and the new cursor in one local transaction.
  async apply(page) {
    const puts = new Map();
    const deletes = new Set();
    let index = null;
    for (const change of page.changes) {
      const key = store.keyOf(change.type, change.id);
      if (change.op === "upsert") {
        puts.set(key, { key, type: change.type, id: change.id, data: change.data });
        deletes.delete(key);
        continue;
      }
      const gone = [key];
      if (change.type === "property" && change.op === "remove") {
        index ??= this.homeIndex(puts);
        gone.push(...(index.get(String(change.id)) || []));
      }
      for (const k of gone) {
        if (this.records.get(k)?.local && this.isWaiting(k)) continue; // still in my outbox
        deletes.add(k);
        puts.delete(k);
      }
    }
    await store.write(["records", "meta"], ({ records, meta }) => {
      deletes.forEach((k) => records.delete(k));
      puts.forEach((r) => records.put(r));
      meta.put(page.cursor, "cursor");
      meta.put(page.patch_ids, "patch_ids");
    });
    deletes.forEach((k) => this.records.delete(k));
    puts.forEach((r, k) => this.records.set(k, r));
    this.patchIds = page.patch_ids;
    this.emit("change");
  }

  isWaiting(key) {
    for (const entry of this.outbox.values()) {
      if (entry.state === "pending" && store.keyOf(entry.mutation.entity_type, entry.mutation.entity_id) === key) {
        return true;
      }
    }
    return false;
  }

  // uprn -> keys of everything held for that home (its tenancies, their tenants,
  // accounts, arrangements and promises; its markers, visits, repairs, concerns, check-ins).
  homeIndex(pending) {
    const rows = [...this.records.values(), ...pending.values()];
    const tenancyHome = new Map();
    for (const r of rows) if (r.type === "tenancy") tenancyHome.set(r.id, String(r.data.uprn));
    const index = new Map();
    const add = (uprn, key) => uprn && (index.get(uprn) || index.set(uprn, []).get(uprn)).push(key);
    for (const r of rows) {
      if (r.type === "property" || r.type === "plan") continue;
      const uprn = r.data?.uprn ?? tenancyHome.get(r.data?.tenancy_ref ?? (r.type === "account" ? r.id : null));
      add(uprn === undefined || uprn === null ? null : String(uprn), r.key);
    }
    return index;
  }

  async reset() {
    this.setState("syncing", "The server was restored from a backup: sending everything first…");
    try {
      await this.uploadPhotos();
      await this.push(true); // never drop unsent work: upload first
    } catch (error) {
      return this.failed(error);
    }
    await store.write(["records", "meta"], ({ records, meta }) => {
      records.clear();
      meta.delete("cursor");
    });
    this.records.clear();
    this.emit("change");
    try {
      await this.pull();
      this.lastSync = new Date().toISOString();
      await store.setMeta({ last_sync: this.lastSync });
      this.setState("idle", "");
    } catch (error) {
      await this.failed(error);
    }
  }

  async rotateIfOld() {
    const device = this.session.device;
    if (!device?.expires_at) return;
    const left = new Date(device.expires_at) - Date.now();
    if (left > 15 * 24 * 3600 * 1000) return;
    const result = await api("POST", "/auth/rotate", { token: this.session.token });
    this.session = { ...this.session, token: result.token, device: result.device };
    await store.setMeta({ session: this.session });
  }

  async planDay(date) {
    await api("POST", "/plans", { token: this.session.token, body: { date } });
    await this.sync();
  }
}

const bySeq = (a, b) => a.mutation.device_seq - b.mutation.device_seq;
