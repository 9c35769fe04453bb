// What every screen of the officer app shares: the one sync engine, the code lists the
// server sends, and moving to another screen.

import { Engine } from "./sync.js";

export const engine = new Engine();
export const codes = {}; // filled in at start, from /web/config.json
export const settings = {}; // the rest of /web/config.json: the maps URL for directions

export const label = (list, code) => codes[list]?.[code] || code;

let draw = () => {};

// app.js draws the screen the address names. A screen that sends the officer elsewhere
// (signed in, signed out) calls go(), which draws it at once: an address it already has
// fires no hashchange.
export function drawWith(render) {
  draw = render;
}

export function go(hash) {
  location.hash = hash;
  draw();
}
