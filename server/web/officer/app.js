// The officer app: today's plan, the homes of my patch, and recording visits offline.
//
// This module starts the app and draws the screen the address names (#today, #homes,
// #home/<uprn>, #sync; #login until signed in). Each screen has its module: login.js,
// today.js, homes.js (with checkins.js and forms.js for a home's forms), status.js (the
// sync indicator and screen); context.js holds what they share. The sync engine is
// sync.js.

import { ApiError, explain, loadConfig } from "../web/api.js";
import { h, titleFrom } from "../web/ui.js";
import { codes, drawWith, engine, go, settings } from "./context.js";
import { homeInfo, homesView, homeView, refreshHomes } from "./homes.js";
import { elsewhereView, loginView, signedOut } from "./login.js";
import { syncView, updatePill } from "./status.js";
import { todayView } from "./today.js";

const main = document.getElementById("main");

// --- start up ------------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  }
  try {
    const config = await loadConfig();
    Object.assign(codes, config.codes);
    Object.assign(settings, config);
  } catch {
    // no code lists: the screens show the codes themselves
  }
  await engine.load();
  engine.addEventListener("change", () => {
    updatePill();
    refresh();
  });
  engine.addEventListener("signedout", (event) => {
    signedOut(event.detail);
    go("#login");
  });
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => engine.soon(0));
  setInterval(() => engine.tick(), 60_000);
  document.getElementById("sync-pill").addEventListener("click", () => (location.hash = "#sync"));
  document.getElementById("tabs").addEventListener("click", (event) => {
    const target = event.target.closest("button[data-view]");
    if (target) location.hash = target.dataset.view;
  });
  render();
  if (engine.session?.token && engine.session.user?.role === "officer") engine.sync();
}

// --- views ---------------------------------------------------------------------------

function view() {
  if (!engine.session?.token) return ["login"];
  if (engine.session.user?.role !== "officer") return ["elsewhere"];
  const [name, arg] = location.hash.replace(/^#/, "").split("/");
  return [name || "today", arg];
}

// Re-draw the current view after a data change, except where the officer is typing.
function refresh() {
  const [name] = view();
  if (name === "home") {
    // Only the information redraws once the forms are there; a home drawn before its
    // records arrived (just signed in, a reload) is drawn whole when they do.
    const info = document.getElementById("home-info");
    if (info && document.getElementById("lone-working")) {
      info.replaceWith(homeInfo(view()[1]));
      return;
    }
  }
  if (name === "homes") return refreshHomes(); // the search keeps what was typed
  if (name === "login" || name === "elsewhere") return;
  render(false);
}

function render(navigated = true) {
  const [name, arg] = view();
  updatePill();
  document.getElementById("tabs").hidden = name === "login" || name === "elsewhere";
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.toggleAttribute("aria-current", tab.dataset.view === `#${name}`);
    if (tab.dataset.view === `#${name}`) tab.setAttribute("aria-current", "page");
  }
  const screens = { login: loginView, elsewhere: elsewhereView, today: todayView, homes: homesView, home: homeView, sync: syncView };
  main.replaceChildren((screens[name] || todayView)(arg));
  titleFrom(main, "Doorstep", navigated && name !== "login");
  if (navigated) window.scrollTo(0, 0); // a new screen starts at its title, below the sticky header
}

drawWith(render);

start().catch((error) => {
  main.replaceChildren(h("p.status", { "data-tone": "bad", role: "alert" },
    error instanceof ApiError ? explain(error) : `Doorstep could not start: ${error.message}`));
});
