// The officer app's local data, in IndexedDB: it survives reloads, restarts and no signal.
//
//   meta     key -> value: the session (token, device, user), the pull cursor, the next
//            device_seq, the last sync
//   records  "<type>:<id>" -> {key, type, id, data, local}: the server's records in my
//            scope, plus my own new records (local: true) until the server has them
//   outbox   mutation_id -> {mutation, state, result, acked_at}: every change I made;
//            pending until pushed, then kept 14 days (re-sent on a reset)
//   photos   sha256 -> {sha256, blob, uploaded}

const NAME = "doorstep";
const STORES = ["meta", "records", "outbox", "photos"];

let opened;

export function open() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      db.createObjectStore("records", { keyPath: "key" }).createIndex("type", "type");
      db.createObjectStore("outbox", { keyPath: "mutation.mutation_id" }).createIndex("state", "state");
      db.createObjectStore("photos", { keyPath: "sha256" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

const done = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
  });

export const request = (req) => result(req);

const result = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

// Run fn(stores) in one read-write transaction over the named stores: all or nothing.
export async function write(names, fn) {
  const db = await open();
  const tx = db.transaction(names, "readwrite");
  const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
  const value = await fn(stores);
  await done(tx);
  return value;
}

export async function get(store, key) {
  const db = await open();
  return result(db.transaction(store).objectStore(store).get(key));
}

export async function all(store, index, value) {
  const db = await open();
  const source = db.transaction(store).objectStore(store);
  return result(index ? source.index(index).getAll(value) : source.getAll());
}

export async function getMeta(key) {
  return get("meta", key);
}

export async function setMeta(values) {
  await write(["meta"], ({ meta }) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) meta.delete(key);
      else meta.put(value, key);
    }
  });
}

// A lost phone, or logging out: nothing personal stays behind.
export async function wipe() {
  await write(STORES, (stores) => STORES.forEach((n) => stores[n].clear()));
}

export const keyOf = (type, id) => `${type}:${id}`;
