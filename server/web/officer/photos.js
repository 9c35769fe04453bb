// Photos on the phone: made smaller and kept by SHA-256 when taken, uploaded after each
// push, and marked to go again when the server says it lacks them.

import { api, ApiError } from "../web/api.js";
import * as store from "./store.js";

const PHOTO_MAX_PX = 1600;
const PHOTO_TIMEOUT_MS = 120_000;

// A photo, made smaller on the phone (long side at most 1,600 px, JPEG) so it uploads
// on a weak signal; kept 14 days, in case a restored server asks for it again.
export async function keepPhoto(engine, file) {
  const blob = await shrink(file);
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  await store.write(["photos"], ({ photos }) =>
    photos.put({ sha256, blob, uploaded: false, taken_at: Date.now() }));
  engine.photos.set(sha256, { sha256, uploaded: false });
  return sha256;
}

export async function uploadWaiting(engine, generation) {
  for (const photo of [...engine.photos.values()]) {
    if (photo.uploaded || photo.error) continue;
    const saved = await store.get("photos", photo.sha256);
    if (!saved?.blob) continue;
    try {
      await api("PUT", `/blobs/${photo.sha256}`, {
        token: engine.session.token,
        raw: saved.blob,
        headers: { "Content-Type": saved.blob.type },
        timeoutMs: PHOTO_TIMEOUT_MS,
      });
      saved.uploaded = true;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500 || error.status === 401) throw error;
      saved.error = error.message; // not an image, too big: it will never upload
    }
    engine.check(generation);
    await store.write(["photos"], ({ photos }) => photos.put(saved));
    engine.photos.set(photo.sha256, { sha256: photo.sha256, uploaded: saved.uploaded, error: saved.error });
  }
}

// The officer has read why a photo failed, and dealt with it: it no longer shows.
export async function dismissPhoto(engine, sha256) {
  await store.write(["photos"], async ({ photos }) => {
    const saved = await store.request(photos.get(sha256));
    if (saved) photos.put({ ...saved, dismissed: true });
  });
  engine.photos.set(sha256, { ...engine.photos.get(sha256), dismissed: true });
  engine.emit("change");
}

// The server says these photos have not arrived (after a restore, say): send again.
export async function sendAgain(engine, digests) {
  const again = digests.filter((d) => engine.photos.get(d)?.uploaded);
  if (!again.length) return;
  await store.write(["photos"], async ({ photos }) => {
    for (const sha256 of again) {
      const saved = await store.request(photos.get(sha256));
      if (saved?.blob) photos.put({ ...saved, uploaded: false });
    }
  });
  for (const sha256 of again) engine.photos.set(sha256, { sha256, uploaded: false });
}

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
