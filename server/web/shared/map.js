// Maps drawn from the data itself, as SVG: no tile server needed. Positions use the Web
// Mercator projection, so a configured tile layer (an {z}/{x}/{y} URL) lines up beneath.

const SVG = "http://www.w3.org/2000/svg";
const TILE = 256;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  return node;
}

function titled(node, text) {
  if (text) {
    const t = svg("title");
    t.textContent = text;
    node.append(t);
  }
  return node;
}

// World pixel position at zoom 0 (0-256).
function project([lon, lat]) {
  const s = Math.sin((lat * Math.PI) / 180);
  return [
    ((lon + 180) / 360) * TILE,
    (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * TILE,
  ];
}

// A geometry's polygons, each a list of rings (the first the outer edge, then holes).
function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

// layers:
//   areas: [{geometry, label, title, className}]: a patch's boundary, with its label
//     written inside its largest part;
//   points: [{lon, lat, className, title, label, href, onSelect}]: a point with an href is a
//     link (reached by Tab, followed with Enter or a click; onSelect(event) runs first and
//     may preventDefault);
//   route: [[lon, lat], ...], drawn as a line in order.
// tileUrl draws {z}/{x}/{y} tiles underneath, at zooms within tileZoom ([min, max]) when
// given. Returns an <svg> of the given size.
export function drawMap({ areas = [], points = [], route = [], width = 640, height = 420,
                          tileUrl = null, tileZoom = null, title = "Map" }) {
  const all = [
    ...areas.flatMap((a) => polygons(a.geometry).flat(2)),
    ...points.map((p) => [p.lon, p.lat]),
    ...route,
  ].filter(([lon, lat]) => Number.isFinite(lon) && Number.isFinite(lat));
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": title, class: "map",
  });
  titled(root, title);
  if (!all.length) return root;
  const xy = all.map(project);
  const minX = Math.min(...xy.map((p) => p[0])), maxX = Math.max(...xy.map((p) => p[0]));
  const minY = Math.min(...xy.map((p) => p[1])), maxY = Math.max(...xy.map((p) => p[1]));
  const pad = 16;
  const scale = Math.min(
    (width - 2 * pad) / Math.max(maxX - minX, 1e-9),
    (height - 2 * pad) / Math.max(maxY - minY, 1e-9),
  );
  const offX = pad + (width - 2 * pad - (maxX - minX) * scale) / 2 - minX * scale;
  const offY = pad + (height - 2 * pad - (maxY - minY) * scale) / 2 - minY * scale;
  const at = (lonLat) => {
    const [x, y] = project(lonLat);
    return [x * scale + offX, y * scale + offY];
  };
  const fixed = (pair) => pair.map((v) => v.toFixed(1)).join(",");
  if (tileUrl) root.append(tiles(tileUrl, tileZoom, scale, offX, offY, width, height));
  const labels = svg("g", { class: "labels", "aria-hidden": "true" });
  for (const area of areas) {
    const shapes = polygons(area.geometry).map((rings) => rings.map((ring) => ring.map(at)));
    const d = shapes.flat().map((ring) => "M" + ring.map(fixed).join("L") + "Z").join("");
    root.append(titled(svg("path", {
      d, class: `area ${area.className || ""}`, "fill-rule": "evenodd",
    }), area.title || area.label));
    const spot = area.label && labelSpot(shapes);
    if (spot) {
      const text = svg("text", {
        x: spot[0].toFixed(1), y: spot[1].toFixed(1), class: "area-label", "text-anchor": "middle",
      });
      text.textContent = area.label;
      labels.append(text);
    }
  }
  if (route.length > 1) {
    root.append(svg("polyline", { points: route.map((c) => fixed(at(c))).join(" "), class: "route" }));
  }
  for (const point of points) {
    const [x, y] = at([point.lon, point.lat]);
    const g = svg("g", { class: `point ${point.className || ""}` });
    g.append(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: point.label ? 9 : point.href ? 4 : 3 }));
    if (point.label) {
      const text = svg("text", { x: x.toFixed(1), y: (y + 4).toFixed(1), "text-anchor": "middle" });
      text.textContent = point.label;
      g.append(text);
    }
    titled(g, point.title);
    if (point.href) {
      const link = svg("a", { href: point.href, "aria-label": point.title || point.label, class: "home" });
      if (point.onSelect) link.addEventListener("click", point.onSelect);
      link.append(g);
      root.append(link);
    } else {
      root.append(g);
    }
  }
  root.append(labels); // on top of the homes, so a label stays readable
  return root;
}

// Where to write a patch's label: inside its largest part, near the part's centre.
function labelSpot(shapes) {
  let best = null, bestArea = 0;
  for (const rings of shapes) {
    const a = Math.abs(ringArea(rings[0]));
    if (a > bestArea) [best, bestArea] = [rings, a];
  }
  if (!best) return null;
  const [cx, cy] = centroid(best[0]);
  if (inside([cx, cy], best)) return [cx, cy];
  // Concave: the inside point of a grid over the part that lies nearest its centroid.
  const xs = best[0].map((p) => p[0]), ys = best[0].map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let spot = null, nearest = Infinity;
  for (let i = 1; i < 16; i++) {
    for (let j = 1; j < 16; j++) {
      const p = [x0 + ((x1 - x0) * i) / 16, y0 + ((y1 - y0) * j) / 16];
      const d = (p[0] - cx) ** 2 + (p[1] - cy) ** 2;
      if (d < nearest && inside(p, best)) [spot, nearest] = [p, d];
    }
  }
  return spot;
}

function ringArea(ring) {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    sum += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  }
  return sum / 2;
}

function centroid(ring) {
  const a = ringArea(ring);
  if (!a) return ring[0];
  let x = 0, y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    x += (ring[j][0] + ring[i][0]) * f;
    y += (ring[j][1] + ring[i][1]) * f;
  }
  return [x / (6 * a), y / (6 * a)];
}

// Inside a polygon (outer ring and holes), by the even-odd rule.
function inside([x, y], rings) {
  let odd = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
    }
  }
  return odd;
}

function tiles(url, zoom, scale, offX, offY, width, height) {
  const group = svg("g", { class: "tiles", "aria-hidden": "true" });
  const [low, high] = zoom || [0, 19];
  // The tiles' own zoom nearest the map's; beyond the levels there are, the nearest is
  // stretched (or shrunk) to fit.
  const z = Math.max(low, Math.min(high, Math.round(Math.log2(scale))));
  const size = (TILE * scale) / 2 ** z; // one tile's size on screen
  const last = 2 ** z - 1;
  const x0 = Math.max(0, Math.floor(-offX / size)), x1 = Math.min(last, Math.floor((width - offX) / size));
  const y0 = Math.max(0, Math.floor(-offY / size)), y1 = Math.min(last, Math.floor((height - offY) / size));
  for (let x = x0; x <= x1; x++) {
    for (let y = y0; y <= y1; y++) {
      const href = url.replace("{z}", z).replace("{x}", x).replace("{y}", y);
      group.append(svg("image", {
        href, x: (x * size + offX).toFixed(1), y: (y * size + offY).toFixed(1),
        width: size.toFixed(1), height: size.toFixed(1),
      }));
    }
  }
  return group;
}
