// The officer app's service worker: it keeps the app shell so the app opens with no
// signal. Data never goes through this cache: API requests pass straight to the network,
// and the app keeps its data in IndexedDB.
const VERSION = "__VERSION__"; // a digest of the shell, filled in by the server
const SHELL = __SHELL__;
const CACHE = `doorstep-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("doorstep-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname === "/app" ? "/app/" : url.pathname;
  if (!SHELL.includes(path)) return; // the API: network only
  // The shell: from the cache at once (it works with no signal), refreshed when a new
  // release installs a new service worker.
  event.respondWith(caches.match(path).then((hit) => hit || fetch(event.request)));
});
