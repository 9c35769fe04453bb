// Today: the working day's plan as a route beside a compact list of its stops (who lives
// there, when to arrive, how to call them and get there, why the visit), re-planning
// from where the officer is, and a notice when they cover someone else's patch. On a
// Saturday or Sunday the working day is Monday (day.js).

import { explain } from "../web/api.js";
import { announce, clock, dayText, directionsLinks, h, londonToday, money, nowWithOffset, phoneLinks } from "../web/ui.js";
import { drawMap } from "../web/map.js";
import { engine, label, settings } from "./context.js";
import { covering, workingDay } from "./day.js";
import { homeWarnings } from "./homes.js";

const LOCATE_MS = 8000;

export function todayView() {
  const today = londonToday();
  // Today's plan if there is one (some work weekends); else the next working day's.
  const planFor = (d) => engine.list("plan").find((p) => p.date === d && p.status !== "superseded");
  const plan = planFor(today) || planFor(workingDay(today));
  const day = plan?.date || workingDay(today);
  const homes = engine.list("property").length;
  const title = dayText(day, { weekday: "long", day: "numeric", month: "long" });
  const section = h("section", { "aria-labelledby": "today-title" },
    h("h1", { id: "today-title" }, day === today ? `Today, ${title}` : `Next working day: ${title}`),
    day === today ? null : h("p.meta", "Today is a weekend day, so this is the plan for the next working day."),
    h("p.meta", engine.patchIds.length
      ? `${homes.toLocaleString("en-GB")} homes in patch ${engine.patchIds.join(", ")}`
      : "You hold no patch today."),
    coverNotice(day),
  );
  if (!plan) {
    const status = h("p.status", { role: "status" });
    const weekday = dayText(day, { weekday: "long" });
    section.append(
      h("p", day === today ? "There is no plan for today yet." : `There is no plan for ${weekday} yet.`),
      h("div.actions", h("button.primary", {
        onclick: async () => {
          announce(status, "Planning your day…");
          try {
            await engine.planDay(day);
            announce(status, "");
          } catch (error) {
            announce(status, explain(error), "bad");
          }
        },
      }, day === today ? "Plan my day" : `Plan ${weekday}`)),
      status,
    );
    return section;
  }
  const visited = visitsOn(today);
  const map = drawMap({
    title: `Route for ${dayText(day)}: ${plan.stops.length} stops`,
    route: [plan.start, ...plan.stops, plan.end].filter(Boolean).map((p) => [p.longitude, p.latitude]),
    points: plan.stops.map((s) => ({
      lon: s.longitude, lat: s.latitude, label: String(s.seq), title: s.address,
      className: visited.has(String(s.uprn)) ? "stop done" : "stop",
    })),
    width: 360, height: 300,
  });
  section.append(
    h("div.plan",
      h("div.plan-map", map),
      h("div.plan-list",
        h("h2", `${plan.stops.length} visits`),
        day === today ? replanButton(plan, visited) : null,
        h("ol.stops.plain", plan.stops.map((stop) => stopRow(stop, visited.get(String(stop.uprn))))))),
  );
  if (plan.left_out?.length) {
    section.append(h("details",
      h("summary", `High-priority homes left out (${plan.left_out.length})`),
      h("ul", plan.left_out.map((l) => h("li", `${l.address || l.uprn}: ${l.text || l.why}`))),
    ));
  }
  return section;
}

// "You are covering ...": each patch of someone else's the officer covers that day.
function coverNotice(day) {
  const found = covering(engine, day);
  if (!found.length) return null;
  return h("p.status.covering", { role: "status", "data-tone": "info" }, found.map(({ patch, cover }, i) => [
    i ? " " : "",
    `You are covering ${patch.name}${patch.officer_name ? ` (${patch.officer_name}'s patch)` : ""} ` +
      `until ${dayText(cover.end_date)}${cover.reason ? `: ${cover.reason.replaceAll("_", " ")}` : ""}. ` +
      "Its homes are in your plan and your homes list.",
  ]));
}

// uprn -> the latest visit recorded on a day.
function visitsOn(day) {
  const found = new Map();
  for (const v of engine.list("visit")) {
    if ((v.observed_at || v.arrived_at || "").slice(0, 10) !== day) continue;
    const key = String(v.uprn);
    if (!found.has(key) || v.observed_at > found.get(key).observed_at) found.set(key, v);
  }
  return found;
}

function stopRow(stop, visit) {
  const refs = stop.tenancy_refs || [];
  const arrears = refs.reduce((sum, ref) => sum + (engine.one("account", ref)?.balance || 0), 0);
  const tenants = engine.list("tenant").filter((t) => refs.includes(t.tenancy_ref));
  const names = tenants.map((t) => `${t.title || ""} ${t.first_name} ${t.last_name}`.trim()).join(", ");
  const numbers = tenants.flatMap((t) => [t.mobile, t.phone].filter(Boolean).map((n) => [n, `${t.first_name} ${t.last_name}`]));
  const warnings = homeWarnings(stop.uprn, stop.markers);
  const done = visit
    ? h("li.tag.ok", `Visited today: ${label("visit_outcomes", visit.outcome)}`) : null;
  const directions = (which) => directionsLinks(stop.latitude, stop.longitude, stop.address, settings.directions_url, which);
  return h(visit ? "li.stop.done" : "li.stop", { dataset: { uprn: stop.uprn } },
    h("a.stop-link", { href: `#home/${stop.uprn}` }, `${stop.seq}. ${stop.address}`),
    h("p.meta",
      `${clock(stop.arrive_at)} · ${money(arrears)}`,
      stop.partner ? ` · paired visit with ${stop.partner.name}, both start at ${clock(stop.start_at)}`
        : stop.appointment ? ` · appointment ${stop.appointment.from}–${stop.appointment.to}` : "",
      " · ", names ? h("span.names", names) : "no tenant held"),
    done || warnings.length ? h("ul.tags", done, warnings) : null,
    h("div.stop-actions",
      numbers.length ? phoneLinks(...numbers[0], { short: true }) : null,
      directions("geo"),
      // Why the home was chosen (once visited, the outcome says what happened instead),
      // the other numbers, and a web map.
      h("details.more", h("summary", visit ? "More" : "Why"),
        visit ? null : h("ul.reasons", (stop.reasons || []).map((r) => h("li", r.text))),
        numbers.slice(1).map(([n, who]) => h("p.phone-line", `${who}: `, phoneLinks(n, who))),
        h("p", directions("web")))),
  );
}

// Re-plan the rest of today from where the officer is: the phone's position if they
// allow it, else the last home visited, else where the plan started.
function replanButton(plan, visited) {
  const status = h("p.status", { role: "status" });
  const button = h("button", {
    type: "button",
    onclick: async () => {
      if (!navigator.onLine) return announce(status, "Re-planning needs signal: try again when you have it.", "bad");
      button.disabled = true;
      announce(status, "Finding where you are…");
      try {
        const done = plan.stops.filter((s) => visited.has(String(s.uprn)));
        const position = await here() || lastPlace(done, plan);
        announce(status, `Re-planning from ${position.label.toLowerCase()}…`);
        await engine.replan(plan.id, {
          position, at: nowWithOffset(), done: done.map((s) => s.uprn), skipped: [],
        });
        announce(status, "");
      } catch (error) {
        announce(status, explain(error), "bad");
      } finally {
        button.disabled = false;
      }
    },
  }, "Re-plan from here");
  return h("div", h("div.actions", button), status);
}

function here() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
    (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, label: "Your position" }),
    () => resolve(null),
    { timeout: LOCATE_MS, maximumAge: 60_000 },
  ));
}

function lastPlace(done, plan) {
  const last = done.at(-1);
  if (last) return { latitude: last.latitude, longitude: last.longitude, label: "Your last visit" };
  return { latitude: plan.start.latitude, longitude: plan.start.longitude, label: "The plan's start" };
}
