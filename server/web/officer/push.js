// Sending the outbox: oldest first, in batches, each result final; on a reset, everything
// acknowledged within the retention window too, and the photos the server lacks.

import { api } from "../web/api.js";
import * as store from "./store.js";

const RETENTION_MS = 14 * 24 * 3600 * 1000;

export const bySeq = (a, b) => a.mutation.device_seq - b.mutation.device_seq;

// Push the outbox, oldest first. withAcknowledged: also re-send every acknowledged
// mutation still inside the retention window (a reset).
export async function pushOutbox(engine, withAcknowledged, generation) {
  const cutoff = Date.now() - RETENTION_MS;
  const due = [...engine.outbox.values()]
    .filter((e) => e.state === "pending" || (withAcknowledged && (e.acked_at || 0) >= cutoff))
    .sort(bySeq);
  const missing = [];
  // The cursor says which versions this phone holds, so its own edits are not echoed.
  const cursor = (await store.getMeta("cursor")) || null;
  for (let i = 0; i < due.length; i += engine.batch) {
    const batch = due.slice(i, i + engine.batch);
    const answer = await api("POST", "/sync/push", {
      token: engine.session.token,
      body: { mutations: batch.map((e) => e.mutation), cursor },
    });
    engine.check(generation);
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
          engine.records.delete(key);
        }
      }
    });
    engine.emit("change");
  }
  await engine.wanted(missing);
  // Acknowledged mutations and sent photos past the retention window are not needed.
  const expired = [...engine.outbox.values()].filter((e) => e.state !== "pending" && e.acked_at < cutoff);
  await store.write(["outbox", "photos"], async ({ outbox, photos }) => {
    expired.forEach((e) => outbox.delete(e.mutation.mutation_id));
    for (const photo of await store.request(photos.getAll())) {
      if (photo.uploaded && (photo.taken_at || 0) < cutoff) photos.delete(photo.sha256);
    }
  });
  expired.forEach((e) => engine.outbox.delete(e.mutation.mutation_id));
}

// A reset's first half: never drop unsent work, so send everything still held, pending
// or acknowledged, and every photo the server lists as missing, before anything goes.
export async function resendAll(engine, generation) {
  await engine.push(true, generation);
  const missing = await api("GET", "/blobs/missing", { token: engine.session.token });
  await engine.wanted(missing.map((m) => m.sha256));
  await engine.uploadPhotos(generation);
  engine.check(generation);
}
