// The lone-working alert banner: on every console tab, above the screen, for team leaders
// and admins. It says who is overdue, where (the address and the warning markers there),
// how late, and the officer's work phone to call; it is cleared with a note here or on the
// Review tab. Until someone acts it repeats at every poll: a short beep, a desktop
// notification where the browser permits, and a count in the page title.

import { explain } from "../web/api.js";
import { announce, field, h } from "../web/ui.js";
import { app, call, label } from "./common.js";

const POLL_MS = 30_000;
const WATCHERS = ["team_leader", "admin"];
const BADGE = /^\(\d+\) /;

const banner = h("section.alert-banner", { "aria-labelledby": "alert-banner-title", hidden: true });
// Read out when the alerts change, not at every poll.
const heard = h("p.skip", { "aria-live": "assertive", "aria-atomic": "true" });
// What the last clearing did, shown until the leader moves to another tab.
const done = h("p.status", { role: "status", hidden: true });
let timer = null;
let shown = ""; // the ids in the banner, to announce only what is new
let audio = null;
let rang = 0; // when the beep and notification last repeated

// Put the banner above the console's main area; the shell calls this once.
export function mountAlerts(main) {
  main.before(banner, done, heard);
  window.addEventListener("hashchange", () => (done.hidden = true));
}

// Look now (after each screen's render), and again every 30 seconds.
export function watchAlerts() {
  clearTimeout(timer);
  if (!WATCHERS.includes(app.session?.user.role)) return show([]);
  poll();
}

async function poll() {
  clearTimeout(timer);
  try {
    show(await call("GET", "/lone-working/alerts"));
  } catch (error) {
    if (error.status === 401 || error.status === 403) return show([]);
  }
  if (app.session) timer = setTimeout(poll, POLL_MS);
}

// The page title starts "(n) " while n alerts are open.
export function titleBadge(count = banner.querySelectorAll("li[data-alert]").length) {
  const bare = document.title.replace(BADGE, "");
  document.title = count ? `(${count}) ${bare}` : bare;
}

function show(alerts) {
  const ids = alerts.map((a) => a.id).join(",");
  banner.hidden = !alerts.length;
  titleBadge(alerts.length);
  if (!alerts.length) {
    shown = "";
    heard.textContent = "";
    return banner.replaceChildren();
  }
  const ringing = ids !== shown || Date.now() - rang > POLL_MS - 5000;
  if (ringing) {
    rang = Date.now();
    beep();
    notify(alerts);
  }
  // A note being typed in the banner is not wiped by the next poll.
  if (ids === shown && banner.contains(document.activeElement)) return;
  const status = h("p.status", { role: "status" });
  banner.replaceChildren(
    h("h2", { id: "alert-banner-title" }, alerts.length === 1 ? "An officer is overdue at a visit" : `${alerts.length} officers are overdue at visits`),
    h("ul", alerts.map((a) => alertItem(a, status))),
    h("div.actions", notificationControl(), h("a.button", { href: "#review" }, "Review alerts")),
    status);
  if (ids !== shown) announce(heard, alerts.map(sentence).join(" "));
  shown = ids;
}

function alertItem(a, status) {
  const who = a.display_name || a.username;
  const markers = [...(a.markers || []).map((code) => label("marker_codes", code)),
    ...((a.flags || []).includes("no-lone-visits") && !(a.markers || []).includes("no_lone_visits") ? ["No lone visits"] : [])];
  const noteField = field(`What was done about ${who}`, "note", "text", { maxlength: 2000, required: true, placeholder: "Phoned: safe" });
  const note = noteField.querySelector("input");
  const form = h("form.inline", noteField,
    h("button.danger", { type: "submit" }, `${who} is safe: clear`));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("POST", `/lone-working/alerts/${a.id}/clear`, { note: note.value.trim() });
      announce(done, `The alert for ${who} is cleared.`, "ok");
      done.hidden = false;
      app.render(); // the screen (Review lists the alerts) and the banner again
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  });
  return h("li", { dataset: { alert: a.id } },
    h("p", h("strong", who), ` is ${overdue(a.overdue_minutes)} overdue at `, h("strong", address(a)), "."),
    markers.length ? h("ul.tags", { "aria-label": "Warning markers at the home" }, markers.map((m) => h("li.tag.bad", m))) : null,
    h("div.actions",
      a.work_phone
        ? h("a.button.primary", { href: `tel:${a.work_phone}` }, `Call ${who}: ${ukPhone(a.work_phone)}`)
        : h("span.meta", `No work phone recorded for ${who}.`),
      form));
}

const address = (a) => [a.address_line_1, a.postcode].filter(Boolean).join(", ");
const sentence = (a) => `${a.display_name || a.username} is ${overdue(a.overdue_minutes)} overdue at ${address(a)}.`;

export function overdue(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const part = (n, unit) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  return hours ? `${part(hours, "hour")}${rest ? ` ${part(rest, "minute")}` : ""}` : part(rest, "minute");
}

// +447700900123 as it is written in the UK: 07700 900123.
export function ukPhone(e164) {
  const n = `0${e164.replace(/^\+44/, "")}`;
  if (n.startsWith("02")) return `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;
  if (/^0[389]/.test(n)) return `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`;
  return `${n.slice(0, 5)} ${n.slice(5)}`;
}

// Desktop notifications must be asked for from a click: a button on the banner.
function notificationControl() {
  if (!("Notification" in window)) return null;
  if (Notification.permission === "granted") return h("span.meta", "Desktop notifications are on.");
  if (Notification.permission === "denied") return h("span.meta", "Desktop notifications are blocked in this browser: the banner, the title and the sound still alert you.");
  return h("button", {
    type: "button",
    onclick: async () => {
      await Notification.requestPermission();
      poll();
    },
  }, "Turn on desktop notifications");
}

function notify(alerts) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const note = new Notification(alerts.length === 1 ? "An officer is overdue" : `${alerts.length} officers are overdue`, {
      body: alerts.map(sentence).join("\n"), tag: "doorstep-lone-working", renotify: true, requireInteraction: true,
    });
    note.onclick = () => {
      window.focus();
      location.hash = "review";
    };
  } catch {
    // A browser that allows notifications only from a service worker: the banner stays.
  }
}

// A short two-tone beep (Web Audio: no sound file). Browsers allow it once the page has
// had a click or key press, as signing in gives.
function beep() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const start = audio.currentTime;
    [880, 660].forEach((pitch, i) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = pitch;
      gain.gain.setValueAtTime(0.2, start + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.001, start + i * 0.25 + 0.22);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + i * 0.25);
      tone.stop(start + i * 0.25 + 0.22);
    });
  } catch {
    // No audio device: the banner, the title and any notification still say it.
  }
}
