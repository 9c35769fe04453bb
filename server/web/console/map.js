// The console's map: the team's patches and homes, coloured by priority today.

import { drawMap } from "../web/map.js";
import { h, money } from "../web/ui.js";
import { app, call, label, table } from "./common.js";

const BANDS = [
  ["p-high", "Visit: high priority", (h) => h.action === "visit"],
  ["p-medium", "Call or letter", (h) => h.action === "call" || h.action === "letter"],
  ["p-low", "Hold (Breathing Space, arrangement)", (h) => h.action === "hold"],
  ["p-none", "Nothing needed", () => true],
];

export async function mapView() {
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
      points, width: 1000, height: 620, tileUrl: app.config.tile_url,
    }),
    app.config.tile_attribution ? h("p.meta", app.config.tile_attribution) : null,
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
