// The staff console: each role's screens, chosen by the signed-in user's role. Team
// leaders get the team's patches on a map, patches and cover, planning, cases, review of
// what the phones sent, the team's week and the repairs in their patches; maintenance
// gets the repairs queue; safeguarding leads, the concerns inbox. It speaks only the
// public API.

import { api, explain, loadConfig } from "../web/api.js";
import { announce, field, h, titleFrom } from "../web/ui.js";
import { absencesView } from "./absences.js";
import { mountAlerts, titleBadge, watchAlerts } from "./alerts.js";
import { casesView } from "./cases.js";
import { app, call } from "./common.js";
import { concernsView } from "./concerns.js";
import { dashboardView } from "./dashboard.js";
import { mapView } from "./map.js";
import { patchesView } from "./patches.js";
import { planningView } from "./planning.js";
import { repairsView } from "./repairs.js";
import { reviewView } from "./review.js";

const main = document.getElementById("main");
const tabs = document.getElementById("tabs");

// Every screen: [hash, tab label, view].
const SCREENS = {
  map: ["Map", mapView],
  patches: ["Patches and cover", patchesView],
  absences: ["Absences", absencesView],
  planning: ["Planning", planningView],
  cases: ["Cases", casesView],
  review: ["Review", reviewView],
  dashboard: ["Dashboard", dashboardView],
  concerns: ["Safeguarding concerns", concernsView],
  repairs: ["Repairs", repairsView],
};
// Each role's screens, the first being its home. Officers use the app at /app/.
const TEAM = ["map", "patches", "absences", "planning", "cases", "review", "dashboard", "repairs"];
const ROLES = {
  team_leader: TEAM,
  admin: TEAM,
  maintenance: ["repairs"],
  safeguarding_lead: ["concerns"],
};

const mine = () => ROLES[app.session?.user.role] || [];

async function start() {
  app.config = await loadConfig();
  app.render = render;
  mountAlerts(main);
  tabs.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-view]");
    if (button) location.hash = button.dataset.view;
  });
  window.addEventListener("hashchange", render);
  render();
}

function render() {
  const screens = mine();
  const asked = location.hash.slice(1).split("?")[0];
  const name = !app.session ? "login" : screens.includes(asked) ? asked : screens[0];
  tabs.hidden = !app.session;
  tabs.replaceChildren(...screens.map((key) => h("button", {
    type: "button", dataset: { view: key }, "aria-current": key === name ? "page" : null,
  }, SCREENS[key][0])));
  document.getElementById("who").replaceChildren(app.session
    ? h("span", `${app.session.user.display_name} `, h("button", { type: "button", onclick: logout }, "Sign out"))
    : "");
  const view = name === "login" ? loginView : SCREENS[name][1];
  const section = h("section", { "aria-busy": "true" }, h("p", "Loading…"));
  main.replaceChildren(section);
  Promise.resolve(view())
    .then((content) => {
      section.replaceChildren(...[].concat(content).filter(Boolean));
      titleFrom(section, "Doorstep console", name !== "login");
      titleBadge();
    })
    .catch((error) => {
      if (error.status === 401) {
        app.session = null;
        sessionStorage.removeItem("doorstep-console");
        return render();
      }
      section.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error)));
    })
    .finally(() => {
      section.removeAttribute("aria-busy");
      watchAlerts(); // the lone-working banner, on every tab
    });
}

function loginView() {
  const status = h("p.status", { role: "alert" });
  const form = h("form", { "aria-labelledby": "login-title" },
    field("Username", "username", "text", { autocomplete: "username", required: true }),
    field("Password", "password", "password", { autocomplete: "current-password", required: true }),
    h("button.primary", { type: "submit" }, "Sign in"),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    try {
      const result = await api("POST", "/auth/login", {
        body: { username: d.get("username").trim(), password: d.get("password"), device_name: "Console (browser)" },
      });
      if (!ROLES[result.user.role]) {
        await api("POST", "/auth/logout", { token: result.token });
        return announce(status, "Officers use the app at /app/: the console is for team leaders, maintenance and safeguarding leads.", "bad");
      }
      app.session = result;
      sessionStorage.setItem("doorstep-console", JSON.stringify(result));
      location.hash = ROLES[result.user.role][0];
      render();
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  });
  return [h("h1", { id: "login-title" }, "Sign in to the console"), h("div.narrow", form)];
}

async function logout() {
  await call("POST", "/auth/logout").catch(() => {});
  app.session = null;
  sessionStorage.removeItem("doorstep-console");
  location.hash = "";
  render();
}

start().catch((error) => main.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error))));
