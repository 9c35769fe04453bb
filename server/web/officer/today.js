// Today: the day's plan as a route and its stops, or a button to plan the day.

import { explain } from "../web/api.js";
import { announce, clock, h, londonToday, money } from "../web/ui.js";
import { drawMap } from "../web/map.js";
import { engine } from "./context.js";
import { homeWarnings } from "./homes.js";

export function todayView() {
  const today = londonToday();
  const plan = engine.list("plan").find((p) => p.date === today && p.status !== "superseded");
  const homes = engine.list("property").length;
  const title = new Date().toLocaleDateString("en-GB", {
    weekday: "long", day: "numeric", month: "long", timeZone: "Europe/London",
  });
  const section = h("section", { "aria-labelledby": "today-title" },
    h("h1", { id: "today-title" }, `Today, ${title}`),
    h("p.meta", engine.patchIds.length
      ? `${homes.toLocaleString("en-GB")} homes in patch ${engine.patchIds.join(", ")}`
      : "You hold no patch today."),
  );
  if (!plan) {
    const status = h("p.status", { role: "status" });
    section.append(
      h("p", "There is no plan for today yet."),
      h("div.actions", h("button.primary", {
        onclick: async () => {
          announce(status, "Planning your day…");
          try {
            await engine.planDay(today);
            announce(status, "");
          } catch (error) {
            announce(status, explain(error), "bad");
          }
        },
      }, "Plan my day")),
      status,
    );
    return section;
  }
  const visited = visitedToday();
  section.append(
    drawMap({
      title: `Route for today: ${plan.stops.length} stops`,
      route: [plan.start, ...plan.stops, plan.end].filter(Boolean).map((p) => [p.longitude, p.latitude]),
      points: plan.stops.map((s) => ({
        lon: s.longitude, lat: s.latitude, className: "stop", label: String(s.seq), title: s.address,
      })),
      width: 360, height: 240,
    }),
    h("h2", `${plan.stops.length} visits`),
    h("ol.stops.plain", plan.stops.map((stop) => stopCard(stop, visited))),
  );
  if (plan.left_out?.length) {
    section.append(h("details",
      h("summary", `High-priority homes left out (${plan.left_out.length})`),
      h("ul", plan.left_out.map((l) => h("li", `${l.address || l.uprn}: ${l.text || l.why}`))),
    ));
  }
  return section;
}

function visitedToday() {
  const today = londonToday();
  return new Set(
    engine.list("visit")
      .filter((v) => (v.observed_at || v.arrived_at || "").slice(0, 10) === today)
      .map((v) => String(v.uprn)),
  );
}

function stopCard(stop, visited) {
  const refs = stop.tenancy_refs || [];
  const arrears = refs.reduce((sum, ref) => sum + (engine.one("account", ref)?.balance || 0), 0);
  const warnings = homeWarnings(stop.uprn, stop.markers);
  return h("li.card", { dataset: { uprn: stop.uprn } },
    h("h3", h("a", { href: `#home/${stop.uprn}` }, `${stop.seq}. ${stop.address}`)),
    h("p.meta",
      `Arrive ${clock(stop.arrive_at)} · ${Math.round(stop.on_site_s / 60)} min on site · arrears ${money(arrears)}`,
      stop.appointment ? ` · appointment ${stop.appointment.from}–${stop.appointment.to}` : "",
    ),
    warnings.length || visited.has(String(stop.uprn))
      ? h("ul.tags", visited.has(String(stop.uprn)) ? h("li.tag.ok", "Visited today") : null, warnings)
      : null,
    h("ul.reasons", (stop.reasons || []).map((r) => h("li", r.text))),
  );
}
