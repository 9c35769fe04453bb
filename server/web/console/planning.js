// The console's planning: each officer's day, with its progress from the synced visits and
// a map of the route, and the team's week.

import { explain } from "../web/api.js";
import { drawMap } from "../web/map.js";
import { addDays, announce, clock, dayText, field, h, londonToday } from "../web/ui.js";
import { app, call, label, officers, statusLine } from "./common.js";

export async function planningView() {
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
          app.render();
        } catch (error) {
          announce(status, explain(error), "bad");
        }
      },
    }, plan ? "Plan again" : "Plan this day");
    const progress = plan && progressBySeq(plan);
    return h("section.card", { "aria-labelledby": `plan-${officer.id}` }, h("h2", { id: `plan-${officer.id}` }, officer.display_name),
      plan
        ? [h("p.meta", `${plan.stops.length} visits, ${clock(plan.stops[0]?.arrive_at)} to ${clock(plan.stops.at(-1)?.leave_at)} (${plan.mode})`),
           progressSummary(plan),
           routeMap(plan, officer, progress),
           h("ol.plan", plan.stops.map((s) => h("li", { dataset: { state: progress.get(s.seq)?.state || "to_go" } }, `${clock(s.arrive_at)} ${s.address}`,
             s.markers?.includes("no_lone_visits") ? h("span.tag.bad", " No lone visits") : "",
             s.partner ? ` (paired visit: starts at ${clock(s.start_at)} with ${s.partner.name})`
               : s.appointment ? ` (appointment ${s.appointment.from}–${s.appointment.to})` : "",
             stateTag(progress.get(s.seq)))))]
        : h("p", "No plan for this day."),
      h("div.actions", planIt));
  });
  return [
    h("h1", `Planning: ${dayText(day)}`), dayInput, status,
    h("p.meta", "Each plan's progress comes from the visits the officers' phones have synced: a stop is visited when its visit has arrived, skipped when a later stop was visited first."),
    h("ul.legend", Object.entries(STATES).map(([state, text]) =>
      h("li", h(`span.dot.${state}`, { "aria-hidden": "true" }), text))),
    h("div.grid", cards),
    weekForm(staff, holders, status),
  ];
}

const STATES = { visited: "Visited", skipped: "Skipped", to_go: "To go" };

// The plan's stops' progress (GET /plans gives it), by their seq.
function progressBySeq(plan) {
  return new Map((plan.progress?.stops || []).filter((p) => p.seq !== null).map((p) => [p.seq, p]));
}

function progressSummary(plan) {
  const p = plan.progress;
  if (!p) return null;
  const kept = p.stops.filter((s) => s.seq === null);
  return [
    h("p.progress", `${p.visited} visited, ${p.skipped} skipped, ${p.to_go} to go.`),
    kept.length
      ? h("p.meta", `Before the re-plan: ${kept.map((s) => `${s.address} (${STATES[s.state].toLowerCase()})`).join(", ")}.`)
      : null,
  ];
}

function stateTag(entry) {
  if (!entry) return "";
  if (entry.state === "visited") {
    return h("span.tag.ok", ` Visited ${clock(entry.visited_at)}: ${label("visit_outcomes", entry.outcome)}`);
  }
  return entry.state === "skipped" ? h("span.tag.warn", " Skipped") : h("span.meta", " (to go)");
}

// The officer's route: from the start, the stops in order, to the end.
function routeMap(plan, officer, progress) {
  const places = [plan.start, ...plan.stops, plan.end].filter((p) => p && Number.isFinite(p.latitude));
  return drawMap({
    title: `${officer.display_name}'s route: ${plan.stops.length} stops in order`,
    route: places.map((p) => [p.longitude, p.latitude]),
    points: plan.stops.map((s) => {
      const state = progress.get(s.seq)?.state || "to_go";
      return {
        lon: s.longitude, lat: s.latitude, className: `stop ${state}`, label: String(s.seq),
        title: `${s.seq}. ${s.address}: ${STATES[state]}`,
      };
    }),
    width: 480, height: 300, tileUrl: app.config.tile_url, tileZoom: app.config.tile_zoom,
  });
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
      const week = await call("POST", `/teams/${app.session.user.team_id}/week-plan`, body);
      const count = (week.plans || []).length;
      app.flash = `Planned ${count} officer-days from ${dayText(body.start)}.`;
      const target = `#planning?date=${body.start}`;
      if (location.hash === target) app.render();
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
