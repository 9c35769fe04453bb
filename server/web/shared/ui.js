// A small DOM helper: h("tag.class", {attr: value, onclick: fn}, ...children).

export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

let fieldCount = 0;

// A labelled form control. kind: "text", "number", "date", "textarea", "select", "checkbox", "file".
export function field(label, name, kind = "text", options = {}) {
  const id = `f${++fieldCount}-${name}`;
  const { choices, hint, ...attrs } = options;
  let control;
  if (kind === "select") {
    // Choices in order: [value, text] pairs, or an object (whose numeric keys, officers'
    // ids say, JavaScript puts first: a placeholder before them needs pairs).
    const pairs = Array.isArray(choices) ? choices : Object.entries(choices);
    control = h("select", { id, name, ...attrs },
      pairs.map(([value, text]) => h("option", { value }, text)));
  } else if (kind === "textarea") {
    control = h("textarea", { id, name, rows: 3, ...attrs });
  } else {
    control = h("input", { id, name, type: kind, ...attrs });
  }
  const hintNode = hint ? h("small.hint", { id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  if (kind === "checkbox") {
    return h("div.field.check", control, h("label", { for: id }, label), hintNode);
  }
  return h("div.field", h("label", { for: id }, label), control, hintNode);
}

export const money = (value) =>
  value === null || value === undefined
    ? "–"
    : new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" }).format(value);

export const clock = (instant) =>
  instant
    ? new Date(instant).toLocaleTimeString("en-GB", {
        hour: "2-digit", minute: "2-digit", timeZone: "Europe/London",
      })
    : "–";

// A moment in en-GB, in England's time; with its year unless it is this year's (records
// and cases go back years).
const yearOf = (d) => d.toLocaleString("en-GB", { year: "numeric", timeZone: "Europe/London" });
export function when(instant) {
  if (!instant) return "never";
  const d = new Date(instant);
  return d.toLocaleString("en-GB", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    ...(yearOf(d) === yearOf(new Date()) ? {} : { year: "numeric" }),
    timeZone: "Europe/London",
  });
}

// A day (YYYY-MM-DD) moved on by a number of days.
export function addDays(day, days) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// A new screen: its first heading names the page and, when the user moved to it, takes
// the focus, so keyboard and screen reader start there.
export function titleFrom(container, suffix, focus) {
  const heading = container.querySelector("h1");
  if (!heading) return;
  document.title = `${heading.textContent} · ${suffix}`;
  heading.setAttribute("tabindex", "-1");
  if (focus) heading.focus();
}

// Today's date in Europe/London, as YYYY-MM-DD.
export function londonToday(now = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(now);
}

// The phone's clock now, with its UTC offset, as the sync protocol asks.
export function nowWithOffset(now = new Date()) {
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(now.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

// Status messages read out by screen readers.
export function announce(region, text, tone = "info") {
  region.textContent = text;
  region.dataset.tone = tone;
}

// A day (YYYY-MM-DD) in words, en-GB: "Mon 7 Dec 2026", or in the parts ``parts`` names
// (Intl.DateTimeFormat's options, e.g. { weekday: "long", day: "numeric", month: "long" }).
const SHORT_DAY = { weekday: "short", day: "numeric", month: "short", year: "numeric" };
export const dayText = (day, parts = SHORT_DAY) =>
  day
    ? new Date(`${day.slice(0, 10)}T12:00:00Z`).toLocaleDateString("en-GB", { ...parts, timeZone: "UTC" })
    : "–";

// The browser's clock now to the minute, as a datetime-local control takes it.
export function localMinute(now = new Date()) {
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

// Links to call and to text a phone number (tel:, sms:), each a 44 px tap target.
// short: "Call" alone on screen (the number and the person are in the accessible name).
export function phoneLinks(number, who = "", { short = false } = {}) {
  const dial = String(number).replace(/[^\d+]/g, "");
  const whom = who ? ` ${who}` : "";
  return h("span.phone",
    h("a.button.small", { href: `tel:${dial}`, "aria-label": `Call${whom} on ${number}` }, short ? "Call" : `Call ${number}`),
    h("a.button.small", { href: `sms:${dial}`, "aria-label": `Text${whom} on ${number}` }, "Text"));
}

// Directions to a place: the phone's own maps app (geo:) and a web map (mapsUrl, with
// {lat}, {lon} and {label} filled in). which: "both", "geo" or "web".
export function directionsLinks(lat, lon, label, mapsUrl, which = "both") {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  const place = encodeURIComponent(label || "");
  const web = (mapsUrl || "https://www.openstreetmap.org/directions?to={lat},{lon}")
    .replace("{lat}", lat).replace("{lon}", lon).replace("{label}", place);
  return h("span.directions",
    which === "web" ? null : h("a.button.small", {
      href: `geo:${lat},${lon}?q=${lat},${lon}(${place})`, "aria-label": `Directions to ${label} in the phone's maps app`,
    }, "Directions"),
    which === "geo" ? null : h("a.button.small", {
      href: web, target: "_blank", rel: "noopener", "aria-label": `Directions to ${label} on a web map`,
    }, "Web map"));
}
