// Receiving: pull pages until has_more is false, each applied with its cursor in one
// IndexedDB transaction; a reset's second half drops what the server will send again.

import { api } from "../web/api.js";
import { bySeq } from "./push.js";
import * as store from "./store.js";

const PAGE = 2000;

export async function pullAll(engine, generation) {
  let cursor = await store.getMeta("cursor");
  for (;;) {
    const query = new URLSearchParams({ limit: PAGE });
    if (cursor) query.set("cursor", cursor);
    const page = await api("GET", `/sync/pull?${query}`, { token: engine.session.token });
    engine.check(generation);
    await engine.apply(page, generation);
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
export async function applyPage(engine, page, generation) {
  const { puts, deletes } = await store.write(["records", "meta", "outbox"], async ({ records, meta, outbox }) => {
    engine.check(generation);
    const pending = await store.request(outbox.index("state").getAll("pending"));
    engine.check(generation);
    const merged = engine.merge(page, pending.sort(bySeq));
    merged.deletes.forEach((k) => records.delete(k));
    merged.puts.forEach((r) => records.put(r));
    meta.put(page.cursor, "cursor");
    meta.put(page.patch_ids, "patch_ids");
    return merged;
  });
  deletes.forEach((k) => engine.records.delete(k));
  puts.forEach((r, k) => engine.records.set(k, r));
  engine.patchIds = page.patch_ids;
  engine.emit("change");
}

// A reset's second half, once everything held has been sent: drop the records and the
// cursor, and bootstrap. What was recorded while the reset ran stays on screen until it
// is sent.
export async function bootstrapAgain(engine, generation) {
  const waiting = new Set((await store.all("outbox", "state", "pending"))
    .map((e) => store.keyOf(e.mutation.entity_type, e.mutation.entity_id)));
  const dropped = [...engine.records.values()].filter((r) => !(r.local && waiting.has(r.key)));
  await store.write(["records", "meta"], ({ records, meta }) => {
    engine.check(generation);
    dropped.forEach((r) => records.delete(r.key));
    meta.delete("cursor");
  });
  dropped.forEach((r) => engine.records.delete(r.key));
  engine.emit("change");
  await engine.pull(generation);
}

// What one page does to the records held, given the outbox's pending entries (oldest
// first): {puts: key -> record, deletes: Set of keys}.
export function mergePage(held, page, pending) {
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
      index ??= homeIndex(held, puts);
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
function homeIndex(held, pending) {
  const rows = [...held.values(), ...pending.values()];
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
