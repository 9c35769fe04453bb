// The team leader console: the team's patches on a map, patches and cover, planning,
// review of what the phones sent, and the team's week. It speaks only the public API.

import { allPages, api, explain, loadConfig } from "../web/api.js";
import { drawMap } from "../web/map.js";
import { casesView } from "./cases.js";
import { addDays, announce, clock, field, h, londonToday, money, titleFrom, when } from "../web/ui.js";

const main = document.getElementById("main");
const tabs = document.getElementById("tabs");
let session = JSON.parse(sessionStorage.getItem("doorstep-console") || "null");
let config = { codes: {} };
let flash = ""; // a message for the next screen

const call = (method, path, body) => api(method, path, { token: session?.token, body });
const label = (list, code) => config.codes[list]?.[code] || code;

async function start() {
  config = await loadConfig();
  tabs.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-view]");
    if (button) location.hash = button.dataset.view;
  });
  window.addEventListener("hashchange", render);
  render();
}

function render() {
  const name = session ? location.hash.slice(1).split("?")[0] || "map" : "login";
  tabs.hidden = !session;
  for (const tab of tabs.querySelectorAll("button")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  document.getElementById("who").replaceChildren(session
    ? h("span", `${session.user.display_name} `, h("button", { type: "button", onclick: logout }, "Sign out"))
    : "");
  const views = { login: loginView, map: mapView, patches: patchesView, planning: planningView,
    review: reviewView, dashboard: dashboardView,
    cases: () => casesView({ call, token: () => session.token, statusLine, table }) };
  const section = h("section", { "aria-busy": "true" }, h("p", "Loading…"));
  main.replaceChildren(section);
  Promise.resolve((views[name] || mapView)())
    .then((content) => {
      section.replaceChildren(...[].concat(content).filter(Boolean));
      titleFrom(section, "Doorstep console", name !== "login");
    })
    .catch((error) => {
      if (error.status === 401) {
        session = null;
        sessionStorage.removeItem("doorstep-console");
        return render();
      }
      section.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error)));
    })
    .finally(() => section.removeAttribute("aria-busy"));
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
        body: { username: d.get("username").trim(), password: d.get("password"), device_name: "Team console (browser)" },
      });
      if (!["team_leader", "admin"].includes(result.user.role)) {
        await api("POST", "/auth/logout", { token: result.token });
        return announce(status, "The console is for team leaders. Officers use the app at /app/.", "bad");
      }
      session = result;
      sessionStorage.setItem("doorstep-console", JSON.stringify(session));
      location.hash = "map";
      render();
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  });
  return [h("h1", { id: "login-title" }, "Sign in to the team console"), h("div.narrow", form)];
}

async function logout() {
  await call("POST", "/auth/logout").catch(() => {});
  session = null;
  sessionStorage.removeItem("doorstep-console");
  location.hash = "";
  render();
}

// --- the map ---------------------------------------------------------------------

const BANDS = [
  ["p-high", "Visit: high priority", (h) => h.action === "visit"],
  ["p-medium", "Call or letter", (h) => h.action === "call" || h.action === "letter"],
  ["p-low", "Hold (Breathing Space, arrangement)", (h) => h.action === "hold"],
  ["p-none", "Nothing needed", () => true],
];

async function mapView() {
  const patches = await call("GET", "/patches");
  const lists = await Promise.all(patches.map((p) => call("GET", `/patches/${p.id}/priorities`)));
  const homes = lists.flatMap((list, i) => list.map((x) => ({ ...x, patch: patches[i].id })));
  const band = (home) => BANDS.find(([, , test]) => test(home))[0];
  const points = homes.filter((x) => x.latitude !== null).map((x) => ({
    lon: x.longitude, lat: x.latitude, className: band(x),
    title: `${x.address}: ${money(x.balance)}, score ${x.score} (${x.action})`,
  }));
  points.sort((a, b) => BANDS.findIndex((x) => x[0] === b.className) - BANDS.findIndex((x) => x[0] === a.className));
  const counts = Object.fromEntries(BANDS.map(([cls]) => [cls, points.filter((p) => p.className === cls).length]));
  return [
    h("h1", "The team's patches"),
    h("p.meta", `${patches.length} patches, ${homes.length.toLocaleString("en-GB")} current tenancies, coloured by priority today.`),
    h("ul.legend", BANDS.map(([cls, text]) =>
      h("li", h(`span.dot.${cls}`, { "aria-hidden": "true" }), `${text} (${counts[cls]})`))),
    drawMap({
      title: "Map of the team's patches and homes, coloured by priority",
      areas: patches.map((p) => ({ geometry: p.boundary, label: `${p.name}: ${p.officer_username || "no officer"}` })),
      points, width: 1000, height: 620, tileUrl: config.tile_url,
    }),
    config.tile_attribution ? h("p.meta", config.tile_attribution) : null,
    h("table", h("caption.skip", "Patches"),
      h("thead", h("tr", h("th", "Patch"), h("th", "Officer"), h("th.num", "Visit"), h("th.num", "Call or letter"), h("th.num", "Arrears"))),
      h("tbody", patches.map((p) => {
        const mine = homes.filter((x) => x.patch === p.id);
        return h("tr", h("td", p.name), h("td", p.officer_username || "–"),
          h("td.num", mine.filter((x) => x.action === "visit").length),
          h("td.num", mine.filter((x) => x.action === "call" || x.action === "letter").length),
          h("td.num", money(mine.reduce((s, x) => s + Math.max(0, x.balance || 0), 0))));
      }))),
  ];
}

// --- patches and cover ----------------------------------------------------------

async function officers() {
  return (await call("GET", "/users?role=officer")).filter((u) => u.active);
}

async function patchesView() {
  const [patches, staff] = await Promise.all([call("GET", "/patches"), officers()]);
  const choices = Object.fromEntries(staff.map((u) => [u.id, `${u.display_name} (${u.username})`]));
  const status = statusLine();
  const rows = patches.map((p) => {
    const select = field(`Officer for ${p.name}`, `officer-${p.id}`, "select", {
      choices: { "": "No officer", ...choices },
    });
    select.querySelector("select").value = p.officer_id ?? "";
    const save = h("button", {
      type: "button",
      onclick: async () => {
        const value = select.querySelector("select").value;
        try {
          await call("PATCH", `/patches/${p.id}`, { officer_id: value ? Number(value) : null });
          announce(status, `${p.name} now belongs to ${value ? choices[value] : "no officer"}. Phones update at their next sync.`, "ok");
        } catch (error) {
          announce(status, explain(error), "bad");
        }
      },
    }, `Save ${p.name}`);
    return h("div.card", { dataset: { patch: p.id } },
      h("h2", p.name), h("div.actions", select, save), coverList(p, choices, status));
  });
  return [h("h1", "Patches and cover"), status, ...rows];
}

function coverList(patch, choices, status) {
  const others = Object.fromEntries(Object.entries(choices).filter(([id]) => Number(id) !== patch.officer_id));
  const mine = h("p.status", { role: "alert", tabindex: "-1" });
  const start = field("From", "start_date", "date", { required: true, value: londonToday(), min: londonToday() });
  const end = field("To (inclusive)", "end_date", "date", { required: true, value: londonToday(), min: londonToday() });
  start.querySelector("input").addEventListener("change", (e) => end.querySelector("input").setAttribute("min", e.target.value));
  const form = h("form",
    h("h3", `Arrange cover for ${patch.name}`),
    field("Covering officer", "officer_id", "select", { choices: others }),
    start, end,
    field("Reason", "reason", "text", { maxlength: 200 }),
    h("button.primary", { type: "submit" }, "Arrange cover"),
    mine);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    try {
      await call("POST", `/patches/${patch.id}/covers`, {
        officer_id: Number(d.get("officer_id")), start_date: d.get("start_date"),
        end_date: d.get("end_date"), reason: d.get("reason") || null,
      });
      flash = `Cover arranged for ${patch.name}: ${others[d.get("officer_id")]}, ${d.get("start_date")} to ${d.get("end_date")}.`;
      render();
    } catch (error) {
      announce(mine, explain(error), "bad");
      mine.focus();
    }
  });
  const covers = patch.covers || [];
  return h("div",
    covers.length
      ? h("ul", covers.map((c) => h("li", `${c.officer_username || c.officer_id} covers ${c.start_date} to ${c.end_date}${c.reason ? ` (${c.reason})` : ""} `,
          h("button.danger", {
            type: "button", "aria-label": `Cancel ${c.officer_username}'s cover of ${patch.name} from ${c.start_date}`,
            onclick: () => call("DELETE", `/patches/${patch.id}/covers/${c.id}`).then(() => {
              flash = `Cover of ${patch.name} cancelled.`;
              render();
            }, (e) => announce(status, explain(e), "bad")),
          }, "Cancel cover"))))
      : h("p.meta", "No cover arranged."),
    h("details", h("summary", "Arrange cover"), form));
}

// --- planning ---------------------------------------------------------------------

async function planningView() {
  const day = new URLSearchParams(location.hash.split("?")[1] || "").get("date") || londonToday();
  const [plans, staff, patches] = await Promise.all([
    call("GET", `/plans?date=${day}`), officers(), call("GET", "/patches"),
  ]);
  const holders = new Set(patches.flatMap((p) => [p.officer_id, ...(p.covers || []).map((c) => c.officer_id)]));
  const status = statusLine();
  const dayInput = h("form.inline",
    field("Day", "day", "date", { value: day, required: true }),
    h("button", { type: "submit" }, "Show plans"));
  dayInput.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `planning?date=${new FormData(dayInput).get("day")}`;
  });
  const byOfficer = new Map(plans.map((p) => [p.officer_id, p]));
  const cards = staff.map((officer) => {
    const plan = byOfficer.get(officer.id);
    const planIt = h("button", {
      type: "button",
      onclick: async () => {
        announce(status, `Planning ${officer.display_name}'s day…`);
        try {
          await call("POST", "/plans", { officer_id: officer.id, date: day });
          render();
        } catch (error) {
          announce(status, explain(error), "bad");
        }
      },
    }, plan ? "Plan again" : "Plan this day");
    return h("div.card", h("h2", officer.display_name),
      plan
        ? [h("p.meta", `${plan.stops.length} visits, ${clock(plan.stops[0]?.arrive_at)} to ${clock(plan.stops.at(-1)?.leave_at)} (${plan.mode})`),
           h("ol", plan.stops.map((s) => h("li", `${clock(s.arrive_at)} ${s.address}`,
             s.markers?.includes("no_lone_visits") ? h("span.tag.bad", " No lone visits") : "",
             s.appointment ? ` (appointment ${s.appointment.from}–${s.appointment.to})` : "")))]
        : h("p", "No plan for this day."),
      h("div.actions", planIt));
  });
  return [
    h("h1", `Planning: ${day}`), dayInput, status,
    h("div.grid", cards),
    weekForm(staff, holders, status),
  ];
}

function weekForm(staff, holders, status) {
  const choices = Object.fromEntries(staff.map((u) => [u.id, u.display_name]));
  const monday = nextMonday();
  const form = h("form", { "aria-labelledby": "week-title" },
    h("h2", { id: "week-title" }, "Plan the team's week"),
    field("First day", "start", "date", { value: monday, required: true }),
    field("Days", "days", "number", { value: 5, min: 1, max: 7 }),
    h("fieldset", h("legend", "Officers to plan"),
      h("p.hint", "Officers who hold no patch or cover are left unticked."),
      staff.map((u) => field(u.display_name, "officer_ids", "checkbox", { value: u.id, checked: holders.has(u.id) }))),
    h("fieldset", h("legend", "Book a paired visit (optional)"),
      field("Home (UPRN)", "uprn", "number", { min: 1 }),
      field("Day", "pair_date", "date", { value: monday }),
      field("From", "from", "time", { value: "10:00" }),
      field("To", "to", "time", { value: "11:00" }),
      field("First officer", "first", "select", { choices }),
      field("Second officer", "second", "select", { choices })),
    h("button.primary", { type: "submit" }, "Plan the week"));
  const second = form.querySelector("select[name=second]");
  if (second.options.length > 1) second.selectedIndex = 1;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    const body = { start: d.get("start"), days: Number(d.get("days")), officer_ids: d.getAll("officer_ids").map(Number) };
    if (d.get("uprn")) {
      body.paired = [{
        uprn: Number(d.get("uprn")), date: d.get("pair_date"), from: d.get("from"), to: d.get("to"),
        officer_ids: [Number(d.get("first")), Number(d.get("second"))],
      }];
    }
    announce(status, "Planning the week…");
    try {
      const week = await call("POST", `/teams/${session.user.team_id}/week-plan`, body);
      const count = (week.plans || []).length;
      flash = `Planned ${count} officer-days from ${body.start}.`;
      const target = `#planning?date=${body.start}`;
      if (location.hash === target) render();
      else location.hash = target;
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  });
  return form;
}

function nextMonday() {
  const today = londonToday();
  const weekday = new Date(`${today}T12:00:00Z`).getUTCDay(); // Sunday 0
  return addDays(today, (8 - weekday) % 7 || 7);
}

// --- review -----------------------------------------------------------------------

async function reviewView() {
  const [conflicts, rejections, flagged, alerts, markers] = await Promise.all([
    allPages("/sync/conflicts?status=open", session.token),
    allPages("/sync/rejections?reviewed=false", session.token),
    allPages("/sync/flagged?status=open", session.token),
    call("GET", "/lone-working/alerts"),
    allPages("/markers", session.token),
  ]);
  const status = h("p.status", { role: "status" });
  const act = (method, path, body, done) => async () => {
    try {
      await call(method, path, body);
      announce(status, done, "ok");
      setTimeout(render, 600);
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  };
  const show = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return [
    h("h1", "Review"), status,
    h("h2", { id: "alerts" }, `Lone working alerts (${alerts.length})`),
    alerts.length
      ? table(["Officer", "Home", "Checked in", "Expected out", ""], alerts.map((a) => [
          a.display_name || a.username, `${a.address_line_1}, ${a.postcode}`, when(a.checked_in_at), when(a.expected_out_at),
          h("button.danger", { type: "button", "aria-label": `${a.display_name || a.username} is safe: clear the alert`, onclick: act("POST", `/lone-working/alerts/${a.id}/clear`, { note: "Contacted the officer: safe." }, "Alert cleared.") }, "Officer is safe: clear"),
        ]))
      : h("p", "No officer is overdue."),
    h("h2", `Warning markers awaiting approval (${markers.length})`),
    markers.length
      ? table(["Home", "Marker", "Why", "Raised by", ""], markers.map((m) => [
          m.uprn, label("marker_codes", m.code), `${m.description || ""} ${m.source_incident ? `(incident: ${m.source_incident})` : ""}`,
          m.raised_by_username || "",
          h("span", h("button.primary", { type: "button", "aria-label": `Approve marker ${m.marker_ref}`, onclick: act("POST", `/markers/${m.marker_ref}/decision`, { approve: true }, "Marker approved.") }, "Approve"), " ",
            h("button.danger", { type: "button", "aria-label": `Reject marker ${m.marker_ref}`, onclick: act("POST", `/markers/${m.marker_ref}/decision`, { approve: false }, "Marker rejected.") }, "Reject")),
        ]))
      : h("p", "Nothing awaiting approval."),
    h("h2", `Conflicts (${conflicts.length})`),
    conflicts.length
      ? table(["Record", "Field", "Kept", "Other value", ""], conflicts.map((c) => [
          `${c.entity_type} ${c.entity_id}`, c.field,
          `${show(c.kept_value)} (${c.kept_by_username || c.kept_source}, ${when(c.kept_at)})`,
          `${show(c.other_value)} (${c.other_by_username || c.other_source}, ${when(c.other_at)})`,
          h("span", h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "kept" }, "Kept value confirmed.") }, "Keep"), " ",
            h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "other" }, "Other value chosen.") }, "Use other value")),
        ]))
      : h("p", "No conflicts to review."),
    h("h2", `Rejected records (${rejections.length})`),
    rejections.length
      ? table(["Officer", "Record", "Why", "Received", ""], rejections.map((r) => [
          r.username, `${r.entity_type || "?"} ${r.op || ""}${r.body?.payload?.uprn ? ` at UPRN ${r.body.payload.uprn}` : ""}`,
          h("span", r.result?.reason || r.result?.code || "",
            Object.entries(r.result?.errors || {}).map(([f, m]) => h("span.meta", ` ${f}: ${[].concat(m).join(" ")}`))),
          when(r.received_at),
          h("button", { type: "button", "aria-label": `Mark ${r.username}'s rejected ${r.entity_type || "record"} as reviewed`, onclick: act("POST", `/sync/rejections/${r.id}/review`, undefined, "Marked as reviewed.") }, "Mark reviewed"),
        ]))
      : h("p", "Nothing rejected."),
    h("h2", `Flagged by a rule: Breathing Space (${flagged.length})`),
    flagged.length
      ? table(["Tenancy", "What", "Rule", "When", "Your note"], flagged.map((f) => [
          f.tenancy_ref,
          f.source === "import" ? `Import: ${f.step} of ${f.step_date} (run ${f.run_id}, line ${f.line})`
            : `${f.entity_type} by ${f.username || "?"}`,
          h("span", h("strong", f.rule), " ", f.message),
          when(f.observed_at || f.created_at),
          reviewNote(f, act),
        ]))
      : h("p", "Nothing flagged."),
  ];
}

// A flagged item's review: the leader's note, then "Mark reviewed".
function reviewNote(item, act) {
  const note = h("input", { type: "text", maxlength: 2000, "aria-label": `Note on flagged item ${item.id}` });
  const button = h("button", { type: "button" }, "Mark reviewed");
  button.addEventListener("click", () => act("POST", `/sync/flagged/${item.id}/review`, { note: note.value }, "Marked as reviewed.")());
  return h("span", note, " ", button);
}

// A screen's status line, saying what the last action on the screen before it did.
function statusLine() {
  const status = h("p.status", { role: "status" });
  if (flash) {
    announce(status, flash, "ok");
    flash = "";
  }
  return status;
}

function table(headings, rows) {
  return h("table", h("thead", h("tr", headings.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", rows.map((cells) => h("tr", cells.map((c) => h("td", c))))));
}

// --- dashboard --------------------------------------------------------------------

async function dashboardView() {
  const team = session.user.team_id;
  const [board, repairs, devices] = await Promise.all([
    call("GET", `/teams/${team}/dashboard`),
    allPages("/repairs", session.token),
    call("GET", "/devices?active_only=true"),
  ]);
  const classes = Object.keys(config.codes.hazard_classes || { emergency: 1, significant: 1, routine: 1 });
  const next = (r) => (r.deadlines || []).filter((d) => d.due_at && !d.met_at).sort((a, b) => a.due_at.localeCompare(b.due_at))[0];
  const week = board.officers.map((o) => {
    const sum = (key) => o.days.reduce((s, d) => s + (d[key] || 0), 0);
    const contacts = sum("contacts");
    return [o.display_name, contacts, sum("home_visits"), contacts ? `${Math.round((100 * sum("reached")) / contacts)}%` : "–",
      sum("arrangements"), sum("promises"), sum("concerns")];
  });
  return [
    h("h1", `The team's week: ${board.from} to ${board.to}`),
    table(["Officer", "Contacts", "Home visits", "Contact rate", "Arrangements", "Promises", "Concerns"], week),
    h("h2", "Repairs by hazard class (Awaab's Law)"),
    h("div.grid", classes.map((cls) => {
      const mine = repairs.filter((r) => r.hazard_class === cls && !["completed", "cancelled"].includes(r.status));
      return h("div.card", h("h3", `${label("hazard_classes", cls).split(":")[0]} (${mine.length})`),
        mine.length
          ? h("ul", mine.map((r) => {
              const due = next(r);
              return h("li", `${label("repair_categories", r.category)}, ${r.location} (UPRN ${r.uprn}): `,
                due ? h(`span.tag.${due.state === "overdue" ? "bad" : "warn"}`, `${due.what} due ${when(due.due_at)}${due.state === "overdue" ? ", overdue" : ""}`) : r.status);
            }))
          : h("p.meta", "None open."));
    })),
    h("h2", "Devices"),
    table(["Officer", "Device", "Signed in", "Last seen", "Last pull", "Last push", "Acknowledged", "Rejected awaiting review", ""],
      devices.filter((d) => d.id !== session.device.id).map((d) => [d.username, d.name, when(d.created_at), when(d.last_seen_at),
        when(d.last_pull_at), when(d.last_push_at), d.acknowledged_seq,
        d.rejected_awaiting_review,
        h("button.danger", {
          type: "button", "aria-label": `Revoke ${d.username}'s device “${d.name}”, signed in ${when(d.created_at)}`,
          onclick: async (event) => {
            if (!confirm(`Sign out ${d.name} and wipe its data at its next contact?`)) return;
            await call("POST", `/devices/${d.id}/revoke`, { reason: "Reported lost" }).then(render, (e) => (event.target.textContent = explain(e)));
          },
        }, "Revoke (lost phone)")])),
    h("h2", "Arrears trend"),
    arrearsTrend(board.arrears),
  ];
}

function arrearsTrend(arrears) {
  if (!arrears) return h("p", "No arrears figures yet.");
  const rows = (arrears.team || []).map((p) => [p.week_ending, money(p.arrears), p.in_arrears]);
  return rows.length ? table(["Week ending", "Arrears", "Tenancies in arrears"], rows) : h("p", "No arrears figures yet.");
}

start().catch((error) => main.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error))));
