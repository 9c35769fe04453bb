// Maps drawn from the data itself, as SVG: no tile server needed. Positions use the Web
// Mercator projection, so a configured tile layer (an {z}/{x}/{y} URL) lines up beneath.

const SVG = "http://www.w3.org/2000/svg";
const TILE = 256;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
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

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

// layers: {areas: [{geometry, label, className}], points: [{lon, lat, className, title,
// label}], route: [[lon, lat], ...]}. Returns an <svg> of the given size.
export function drawMap({ areas = [], points = [], route = [], width = 640, height = 420,
                          tileUrl = null, title = "Map" }) {
  const all = [
    ...areas.flatMap((a) => rings(a.geometry).flat()),
    ...points.map((p) => [p.lon, p.lat]),
    ...route,
  ].filter(([lon, lat]) => Number.isFinite(lon) && Number.isFinite(lat));
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "map",
  });
  root.append(svg("title"));
  root.firstChild.textContent = title;
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
  if (tileUrl) root.append(tiles(tileUrl, scale, offX, offY, width, height));
  for (const area of areas) {
    const d = rings(area.geometry)
      .map((ring) => "M" + ring.map((c) => at(c).map((v) => v.toFixed(1)).join(",")).join("L") + "Z")
      .join("");
    const path = svg("path", { d, class: `area ${area.className || ""}` });
    if (area.label) {
      const t = svg("title");
      t.textContent = area.label;
      path.append(t);
    }
    root.append(path);
  }
  if (route.length > 1) {
    root.append(svg("polyline", {
      points: route.map((c) => at(c).map((v) => v.toFixed(1)).join(",")).join(" "),
      class: "route",
    }));
  }
  for (const point of points) {
    const [x, y] = at([point.lon, point.lat]);
    const g = svg("g", { class: `point ${point.className || ""}` });
    g.append(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: point.label ? 9 : 3 }));
    if (point.label) {
      const text = svg("text", { x: x.toFixed(1), y: (y + 4).toFixed(1), "text-anchor": "middle" });
      text.textContent = point.label;
      g.append(text);
    }
    if (point.title) {
      const t = svg("title");
      t.textContent = point.title;
      g.append(t);
    }
    root.append(g);
  }
  return root;
}

function tiles(url, scale, offX, offY, width, height) {
  const group = svg("g", { class: "tiles" });
  const z = Math.max(0, Math.min(19, Math.round(Math.log2(scale))));
  const size = (TILE * scale) / 2 ** z; // one tile's size on screen
  const x0 = Math.floor(-offX / size), x1 = Math.floor((width - offX) / size);
  const y0 = Math.floor(-offY / size), y1 = Math.floor((height - offY) / size);
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
