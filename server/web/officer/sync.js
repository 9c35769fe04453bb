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

import { api, ApiError, Offline } from "../web/api.js";
import { nowWithOffset } from "../web/ui.js";
import * as store from "./store.js";

const RETENTION_MS = 14 * 24 * 3600 * 1000;
const PAGE = 2000;
const RETRY_MAX_S = 300;
const PHOTO_MAX_PX = 1600;
const PHOTO_TIMEOUT_MS = 120_000;

class Stale extends Error {} // this run belongs to a session that has ended

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
      this.photos.set(photo.sha256, { sha256: photo.sha256, uploaded: photo.uploaded, error: photo.error });
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

  isLocal(type, id) {
    return Boolean(this.records.get(store.keyOf(type, id))?.local);
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
    await this.reloadOutbox();
    const previous = (await store.getMeta("session"))?.user;
    const pending = [...this.outbox.values()].filter((e) => e.state === "pending").sort(bySeq);
    if (previous && previous.username !== username && pending.length) {
      throw new Error(
        `${pending.length} record(s) by ${previous.display_name} (${previous.username}) have not ` +
          `been sent yet. ${previous.username} must sign in and sync first.`,
      );
    }
    const result = await api("POST", "/auth/login", {
      body: { username, password, device_name: deviceName },
    });
    if (previous && previous.id !== result.user.id) await this.forget();
    this.session = { token: result.token, device: result.device, user: result.user, issued_at: Date.now() };
    // A new device numbers its mutations from 1; unsent ones keep their order (their
    // content, and so their deduplication, does not include the number).
    await store.write(["meta", "outbox"], ({ meta, outbox }) => {
      pending.forEach((entry, i) => {
        entry.mutation.device_seq = i + 1;
        outbox.put(entry);
      });
      meta.put(pending.length + 1, "next_seq");
      meta.put(this.session, "session");
    });
    this.failures = 0;
    this.retryAt = 0;
    this.emit("change");
    return this.session;
  }

  async logout() {
    const waiting = await store.all("outbox", "state", "pending");
    if (waiting.length) {
      throw new Error(`${waiting.length} record(s) have not been sent yet. Sync before signing out.`);
    }
    const token = this.session?.token;
    await this.forget();
    try {
      await api("POST", "/auth/logout", { token });
    } catch (error) {
      if (!(error instanceof ApiError) && !(error instanceof Offline)) throw error;
    }
  }

  // Wipe everything local. From outside a sync, a sync still in flight is waited for
  // (it writes nothing more once the generation moves on), then the wipe is repeated.
  async forget({ fromSync = false } = {}) {
    this.generation += 1;
    const running = fromSync ? null : this.running;
    await store.wipe();
    if (running) {
      await running.catch(() => {});
      await store.wipe();
    }
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
    const observedAt = nowWithOffset();
    const mutation = {
      mutation_id: crypto.randomUUID(),
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

  // A photo, made smaller on the phone (long side at most 1,600 px, JPEG) so it uploads
  // on a weak signal; kept 14 days, in case a restored server asks for it again.
  async addPhoto(file) {
    const blob = await shrink(file);
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    await store.write(["photos"], ({ photos }) =>
      photos.put({ sha256, blob, uploaded: false, taken_at: Date.now() }));
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

  async uploadPhotos(generation) {
    for (const photo of [...this.photos.values()]) {
      if (photo.uploaded || photo.error) continue;
      const saved = await store.get("photos", photo.sha256);
      if (!saved?.blob) continue;
      try {
        await api("PUT", `/blobs/${photo.sha256}`, {
          token: this.session.token,
          raw: saved.blob,
          headers: { "Content-Type": saved.blob.type },
          timeoutMs: PHOTO_TIMEOUT_MS,
        });
        saved.uploaded = true;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status >= 500 || error.status === 401) throw error;
        saved.error = error.message; // not an image, too big: it will never upload
      }
      this.check(generation);
      await store.write(["photos"], ({ photos }) => photos.put(saved));
      this.photos.set(photo.sha256, { sha256: photo.sha256, uploaded: saved.uploaded, error: saved.error });
    }
  }

  // The server says these photos have not arrived (after a restore, say): send again.
  async wanted(digests) {
    const again = digests.filter((d) => this.photos.get(d)?.uploaded);
    if (!again.length) return;
    await store.write(["photos"], async ({ photos }) => {
      for (const sha256 of again) {
        const saved = await store.request(photos.get(sha256));
        if (saved?.blob) photos.put({ ...saved, uploaded: false });
      }
    });
    for (const sha256 of again) this.photos.set(sha256, { sha256, uploaded: false });
  }

  // Push the outbox, oldest first. withAcknowledged: also re-send every acknowledged
  // mutation still inside the retention window (a reset).
  async push(withAcknowledged, generation) {
    const cutoff = Date.now() - RETENTION_MS;
    const due = [...this.outbox.values()]
      .filter((e) => e.state === "pending" || (withAcknowledged && (e.acked_at || 0) >= cutoff))
      .sort(bySeq);
    const missing = [];
    // The cursor says which versions this phone holds, so its own edits are not echoed.
    const cursor = (await store.getMeta("cursor")) || null;
    for (let i = 0; i < due.length; i += this.batch) {
      const batch = due.slice(i, i + this.batch);
      const answer = await api("POST", "/sync/push", {
        token: this.session.token,
        body: { mutations: batch.map((e) => e.mutation), cursor },
      });
      this.check(generation);
      const now = Date.now();
      const settled = [];
      answer.results.forEach((result, k) => {
        const entry = batch[k];
        missing.push(...(result.missing_photos || result.original?.missing_photos || []));
        if (entry.state !== "pending") return; // a re-send on reset: already settled
        const final = result.status === "duplicate" ? { ...result.original, mutation_id: result.mutation_id } : result;
        entry.state = final.status || "applied";
        entry.result = final;
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
    await this.wanted(missing);
    // Acknowledged mutations and sent photos past the retention window are not needed.
    const expired = [...this.outbox.values()].filter((e) => e.state !== "pending" && e.acked_at < cutoff);
    await store.write(["outbox", "photos"], async ({ outbox, photos }) => {
      expired.forEach((e) => outbox.delete(e.mutation.mutation_id));
      for (const photo of await store.request(photos.getAll())) {
        if (photo.uploaded && (photo.taken_at || 0) < cutoff) photos.delete(photo.sha256);
      }
    });
    expired.forEach((e) => this.outbox.delete(e.mutation.mutation_id));
  }

  async pull(generation) {
    let cursor = await store.getMeta("cursor");
    for (;;) {
      const query = new URLSearchParams({ limit: PAGE });
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/sync/pull?${query}`, { token: this.session.token });
      this.check(generation);
      await this.apply(page, generation);
      cursor = page.cursor;
      if (!page.has_more) return;
    }
  }

  // One page: its changes and the new cursor in one local transaction. A record with an
  // edit still waiting in the outbox (of any tab) takes the server's copy with the
  // waiting edits on top: the cursor stored here tells the server this phone holds that
  // copy, so an edit based on it is not sent back (docs/sync-protocol.md, "No echo").
  // A record whose create is still waiting keeps what was recorded. The outbox is read
  // in the same transaction, so an edit recorded meanwhile (a tap, another tab) lands
  // on top of this page, not under it.
  async apply(page, generation) {
    const { puts, deletes } = await store.write(["records", "meta", "outbox"], async ({ records, meta, outbox }) => {
      this.check(generation);
      const pending = await store.request(outbox.index("state").getAll("pending"));
      this.check(generation);
      const merged = this.merge(page, pending.sort(bySeq));
      merged.deletes.forEach((k) => records.delete(k));
      merged.puts.forEach((r) => records.put(r));
      meta.put(page.cursor, "cursor");
      meta.put(page.patch_ids, "patch_ids");
      return merged;
    });
    deletes.forEach((k) => this.records.delete(k));
    puts.forEach((r, k) => this.records.set(k, r));
    this.patchIds = page.patch_ids;
    this.emit("change");
  }

  // What one page does to the records held, given the outbox's pending entries (oldest
  // first): {puts: key -> record, deletes: Set of keys}.
  merge(page, pending) {
    const waiting = new Set(pending.map((e) => store.keyOf(e.mutation.entity_type, e.mutation.entity_id)));
    const edits = new Map(); // key -> the waiting updates' payloads, oldest first; null: a create waits
    for (const { mutation: m } of pending) {
      const key = store.keyOf(m.entity_type, m.entity_id);
      if (m.op === "create") edits.set(key, null);
      else if (edits.get(key) !== null) edits.set(key, [...(edits.get(key) || []), m.payload]);
    }
    const puts = new Map();
    const deletes = new Set();
    let index = null;
    for (const change of page.changes) {
      const key = store.keyOf(change.type, change.id);
      if (change.op === "upsert") {
        const mine = edits.get(key);
        if (mine === null) continue;
        const data = Object.assign({}, change.data, ...(mine || []));
        puts.set(key, { key, type: change.type, id: change.id, data, ...(mine ? { local: true } : {}) });
        deletes.delete(key);
        continue;
      }
      const gone = [key];
      if (change.type === "property" && change.op === "remove") {
        index ??= this.homeIndex(puts);
        gone.push(...(index.get(String(change.id)) || []));
      }
      for (const k of gone) {
        if (waiting.has(k)) continue; // still in my outbox: push it as usual
        deletes.add(k);
        puts.delete(k);
      }
    }
    return { puts, deletes };
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

  async reset(generation) {
    this.setState("syncing", "The server was restored from a backup: sending everything first…");
    try {
      await this.push(true, generation); // never drop unsent work: upload first
      const missing = await api("GET", "/blobs/missing", { token: this.session.token });
      await this.wanted(missing.map((m) => m.sha256));
      await this.uploadPhotos(generation);
      this.check(generation);
      // What was recorded while this ran stays on screen until it is sent.
      const waiting = new Set((await store.all("outbox", "state", "pending"))
        .map((e) => store.keyOf(e.mutation.entity_type, e.mutation.entity_id)));
      const dropped = [...this.records.values()].filter((r) => !(r.local && waiting.has(r.key)));
      await store.write(["records", "meta"], ({ records, meta }) => {
        this.check(generation);
        dropped.forEach((r) => records.delete(r.key));
        meta.delete("cursor");
      });
      dropped.forEach((r) => this.records.delete(r.key));
      this.emit("change");
      await this.pull(generation);
      this.lastSync = new Date().toISOString();
      await store.setMeta({ last_sync: this.lastSync });
      this.failures = 0;
      this.setState("idle", "");
    } catch (error) {
      if (error instanceof Stale) return;
      await this.failed(error, generation);
    }
  }

  // Rotate the token in the second half of its life (the old one keeps working until
  // the new one is first used, so a lost answer does no harm).
  async rotateIfOld(generation) {
    const { device, issued_at: issued } = this.session;
    if (!device?.expires_at || !issued) return;
    const expires = new Date(device.expires_at).getTime();
    if (Date.now() < issued + (expires - issued) / 2) return;
    const result = await api("POST", "/auth/rotate", { token: this.session.token });
    this.check(generation);
    this.session = { ...this.session, token: result.token, device: result.device, issued_at: Date.now() };
    await store.setMeta({ session: this.session });
  }

  async planDay(date) {
    await api("POST", "/plans", { token: this.session.token, body: { date } });
    await this.sync();
  }
}

const bySeq = (a, b) => a.mutation.device_seq - b.mutation.device_seq;

async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg") return file;
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: "image/jpeg", quality: 0.85 });
  } catch {
    return new Blob([await file.arrayBuffer()], { type: file.type || "application/octet-stream" });
  }
}
