// Signing in, and why the officer was signed out.

import { explain } from "../web/api.js";
import { announce, field, h } from "../web/ui.js";
import { engine, go } from "./context.js";
import { notForOfficers } from "./session.js";

let signedOutNote = "";

// The sign-in screen says why the officer is there again (the engine's signedout event).
export function signedOut({ revoked, passwordChanged } = {}) {
  signedOutNote = revoked
    ? "This device was signed out by your team leader, and its data was removed from it."
    : passwordChanged
      ? "Your password was changed, so this device was signed out. Sign in again: nothing you recorded is lost."
      : "Your sign-in has expired. Sign in again: nothing you recorded is lost.";
}

export function loginView() {
  const status = h("p.status", { role: "alert" });
  if (signedOutNote) announce(status, signedOutNote, "bad");
  const form = h("form", { "aria-labelledby": "login-title" },
    field("Username", "username", "text", { autocomplete: "username", required: true, autocapitalize: "none" }),
    field("Password", "password", "password", { autocomplete: "current-password", required: true }),
    field("This device's name", "device", "text", {
      value: engine.session?.device?.name || "Officer phone", required: true,
      hint: "Your team leader sees it, and can sign this device out if it is lost.",
    }),
    h("button.primary", { type: "submit" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    announce(status, "Signing in…");
    try {
      await engine.login(data.get("username").trim(), data.get("password"), data.get("device").trim());
      signedOutNote = "";
      announce(status, "Signed in. Downloading your patch…");
      go("#today");
      await engine.sync();
    } catch (error) {
      announce(status, error.code === "bad-credentials" ? "Wrong username or password." : explain(error), "bad");
      if (error.code === "not-an-officer") status.append(" ", h("a", { href: "/console/" }, "Open the console"));
      status.focus?.();
    }
  });
  return h("section", h("h1", { id: "login-title" }, "Sign in to Doorstep"), form);
}

// Someone signed in here before the app refused other roles: told where to go, and
// offered a sign-out (which removes what this phone holds).
export function elsewhereView() {
  const status = h("p.status", { role: "alert", "data-tone": "bad" }, notForOfficers(engine.session.user), " ",
    h("a", { href: "/console/" }, "Open the console"));
  return h("section", h("h1", "Use the console"), status, h("div.actions", h("button", {
    type: "button",
    onclick: async () => {
      try {
        await engine.logout();
        go("#login");
      } catch (error) {
        announce(status, explain(error), "bad");
      }
    },
  }, "Sign out of this app")));
}
