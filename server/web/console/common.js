// What the console's views share: the signed-in session, the codes, the API call and the
// status line that carries a message to the next screen.

import { api } from "../web/api.js";
import { announce, h } from "../web/ui.js";

// The console's state. console.js sets render; views call app.render() to redraw.
export const app = {
  session: JSON.parse(sessionStorage.getItem("doorstep-console") || "null"),
  config: { codes: {} },
  flash: "", // a message for the next screen
  render: () => {},
};

export const call = (method, path, body, headers) =>
  api(method, path, { token: app.session?.token, body, headers });
export const label = (list, code) => app.config.codes[list]?.[code] || code;

export async function officers() {
  return (await call("GET", "/users?role=officer")).filter((u) => u.active);
}

// A screen's status line, saying what the last action on the screen before it did.
export function statusLine() {
  const status = h("p.status", { role: "status" });
  if (app.flash) {
    announce(status, app.flash, "ok");
    app.flash = "";
  }
  return status;
}

export function table(headings, rows) {
  return h("table", h("thead", h("tr", headings.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", rows.map((cells) => h("tr", cells.map((c) => h("td", c))))));
}
