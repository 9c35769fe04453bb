// The officer's day beyond the synced records: which working day a plan is for, the
// patches held (owned, or covered for someone else: GET /patches) and each home's
// priority (GET /patches/{id}/priorities). Fetched after a sync, at most hourly or when
// the day or the patches change, and kept in IndexedDB, so the homes list and the
// covering notice work with no signal.

import { api, ApiError, Offline } from "../web/api.js";
import { addDays, londonToday } from "../web/ui.js";
import * as store from "./store.js";

const MAX_AGE_MS = 3600_000;

// The day "Plan my day" plans: today, or Monday when today is a Saturday or Sunday.
export function workingDay(today = londonToday()) {
  const weekday = new Date(`${today}T12:00:00Z`).getUTCDay(); // 0 Sunday, 6 Saturday
  return weekday === 6 ? addDays(today, 2) : weekday === 0 ? addDays(today, 1) : today;
}

export async function loadDay(engine) {
  engine.day = (await store.getMeta("day")) || null;
}

export async function refreshDay(engine, generation) {
  const key = `${londonToday()} ${engine.patchIds.join(",")}`;
  const held = engine.day;
  if (held?.key === key && Date.now() - held.fetched_at < MAX_AGE_MS) return;
  const token = engine.session.token;
  let day;
  try {
    const patches = (await api("GET", "/patches", { token })).map((patch) => ({ ...patch, boundary: undefined }));
    const priorities = {};
    for (const patch of patches) {
      for (const home of await api("GET", `/patches/${patch.id}/priorities`, { token })) {
        const seen = priorities[home.uprn];
        if (!seen || home.score > seen.score) priorities[home.uprn] = { score: home.score, action: home.action };
      }
    }
    day = { key, fetched_at: Date.now(), patches, priorities };
  } catch (error) {
    // Only the extras are missing: the sync itself went well, and the last copy stays.
    if (error instanceof ApiError || error instanceof Offline) return;
    throw error;
  }
  engine.check(generation);
  await store.setMeta({ day });
  engine.day = day;
  engine.emit("change");
}

// The patches the officer covers for someone else on a day: [{patch, cover}].
export function covering(engine, day) {
  const me = engine.session?.user?.id;
  const found = [];
  for (const patch of engine.day?.patches || []) {
    if (patch.officer_id === me) continue;
    const cover = (patch.covers || []).find((c) =>
      c.officer_id === me && !c.cancelled_at && c.start_date <= day && c.end_date >= day);
    if (cover) found.push({ patch, cover });
  }
  return found;
}
