// The console's map: the team's patches, drawn as their boundaries with their names, and
// their homes, coloured by priority today. Each home is a link (Tab, then Enter, or a
// click) to its tenancy, shown under the map: #map?tenancy=REF.

import { explain } from "../web/api.js";
import { drawMap } from "../web/map.js";
import { h, money } from "../web/ui.js";
import { app, call, label } from "./common.js";

const BANDS = [
  ["p-high", "Visit: high priority", (h) => h.action === "visit"],
  ["p-medium", "Call or letter", (h) => h.action === "call" || h.action === "letter"],
  ["p-low", "Hold (Breathing Space, arrangement)", (h) => h.action === "hold"],
  ["p-none", "Nothing needed", () => true],
];
const ACTIONS = { visit: "Visit", call: "Call", letter: "Letter", hold: "Hold", none: "Nothing needed" };

export async function mapView() {
  const patches = await call("GET", "/patches");
  const lists = await Promise.all(patches.map((p) => call("GET", `/patches/${p.id}/priorities`)));
  const homes = lists.flatMap((list, i) => list.map((x) => ({ ...x, patch: patches[i].id })));
  const band = (home) => BANDS.find(([, , test]) => test(home))[0];
  const panel = h("section.card.tenancy", { "aria-label": "The chosen home's tenancy", hidden: true });
  const open = (ref) => showTenancy(panel, ref, homes, patches);
  const points = homes.filter((x) => x.latitude !== null).map((x) => ({
    lon: x.longitude, lat: x.latitude, className: band(x),
    title: `${x.address}: ${money(x.balance)}, ${ACTIONS[x.action] || x.action} (score ${x.score})`,
    href: `#map?tenancy=${encodeURIComponent(x.tenancy_ref)}`,
    onSelect: (event) => {
      // The map stays as it is: only the address changes, and the tenancy opens below.
      event.preventDefault();
      history.pushState(null, "", `#map?tenancy=${encodeURIComponent(x.tenancy_ref)}`);
      open(x.tenancy_ref);
    },
  }));
  points.sort((a, b) => BANDS.findIndex((x) => x[0] === b.className) - BANDS.findIndex((x) => x[0] === a.className));
  const counts = Object.fromEntries(BANDS.map(([cls]) => [cls, points.filter((p) => p.className === cls).length]));
  const asked = new URLSearchParams(location.hash.split("?")[1] || "").get("tenancy");
  if (asked) open(asked);
  return [
    h("h1", "The team's patches"),
    h("p.meta", `${patches.length} patches, ${homes.length.toLocaleString("en-GB")} current tenancies, coloured by priority today. Choose a home (or Tab to it and press Enter) to see its tenancy.`),
    h("ul.legend", BANDS.map(([cls, text]) =>
      h("li", h(`span.dot.${cls}`, { "aria-hidden": "true" }), `${text} (${counts[cls]})`))),
    drawMap({
      title: "Map of the team's patches and homes, coloured by priority",
      areas: patches.map((p) => ({
        geometry: p.boundary, label: p.name,
        title: `${p.name}: ${p.officer_name || p.officer_username || "no officer"}, ${p.home_count} homes`,
      })),
      points, width: 1000, height: 620, tileUrl: app.config.tile_url, tileZoom: app.config.tile_zoom,
    }),
    app.config.tile_attribution ? h("p.meta", app.config.tile_attribution) : null,
    panel,
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

// A tenancy (GET /tenancies/{ref}) in the panel under the map, which takes the focus.
async function showTenancy(panel, ref, homes, patches) {
  panel.hidden = false;
  panel.replaceChildren(h("p", `Loading tenancy ${ref}…`));
  let t;
  try {
    t = await call("GET", `/tenancies/${encodeURIComponent(ref)}`);
  } catch (error) {
    panel.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error)));
    return;
  }
  const home = homes.find((x) => x.tenancy_ref === ref);
  const patch = patches.find((p) => t.patch_ids.includes(p.id));
  const lead = t.tenants.find((p) => p.is_lead) || t.tenants[0];
  const heading = h("h2", { tabindex: "-1" },
    [t.address_line_1, t.address_line_2, t.post_town, t.postcode].filter(Boolean).join(", "));
  const rows = [
    ["Tenancy", `${t.tenancy_ref} (${label("tenures", t.tenure)}, since ${new Date(t.start_date).toLocaleDateString("en-GB")})`],
    ["Tenants", t.tenants.map((p) => `${p.first_name} ${p.last_name}${p.is_lead ? " (lead)" : ""}`).join(", ") || "None recorded"],
    lead?.mobile || lead?.phone ? ["Telephone", lead.mobile || lead.phone] : null,
    ["Weekly rent", money(t.weekly_rent)],
    t.account ? ["Balance", `${money(t.account.balance)} on ${new Date(t.account.as_of).toLocaleDateString("en-GB")}`] : null,
    t.account ? ["Legal stage", label("legal_stages", t.account.legal_stage)] : null,
    home ? ["Today", `${ACTIONS[home.action] || home.action} (priority score ${home.score})`] : null,
    t.markers.length ? ["Warning markers", t.markers.map((m) => label("marker_codes", m.code)).join(", ")] : null,
    patch ? ["Patch", `${patch.name} (${patch.officer_name || patch.officer_username || "no officer"})`] : null,
  ].filter(Boolean);
  panel.replaceChildren(
    heading,
    h("dl.facts", rows.flatMap(([k, v]) => [h("dt", k), h("dd", v)])),
    patch ? h("p", h("a", { href: `#cases?patch=${patch.id}` }, `${patch.name}'s cases, with court bundles`)) : null,
  );
  heading.focus();
}
