// Where things stand: the sync indicator at the top of every screen, and the sync
// screen behind it (what waits, what was rejected and why, what is under review).

import { explain } from "../web/api.js";
import { clock, h, money, when } from "../web/ui.js";
import { engine, go } from "./context.js";

const pill = document.getElementById("sync-pill");
const live = document.getElementById("live");

export function updatePill() {
  const s = engine.status();
  const waiting = s.waiting.length
    ? `${s.waiting.length} waiting`
    : s.photosWaiting ? `${s.photosWaiting} photo(s) waiting` : "";
  let text, state;
  if (!engine.session) [text, state] = ["Signed out", "idle"];
  else if (s.state === "syncing") [text, state] = ["Syncing…", "syncing"];
  else if (s.rejected.length) [text, state] = [`${s.rejected.length} rejected`, "rejected"];
  else if (s.photosFailed.length) [text, state] = [`${s.photosFailed.length} photo(s) failed`, "rejected"];
  else if (s.state === "offline") [text, state] = [`Offline · ${waiting || "0 waiting"}`, "offline"];
  else if (s.state === "error") [text, state] = [`Sync failed${waiting ? ` · ${waiting}` : ""}`, "rejected"];
  else if (waiting) [text, state] = [waiting, "waiting"];
  else if (!s.lastSync) [text, state] = ["Not synced yet", "waiting"]; // never "Synced" before the first sync ends
  else [text, state] = [`Synced ${clock(s.lastSync)}`, "synced"];
  if (pill.textContent !== text && state !== "syncing") live.textContent = `Sync: ${text}`;
  pill.textContent = text;
  pill.dataset.state = state;
  pill.setAttribute("aria-label", `Sync status: ${text}. Open the sync details.`);
}

const KINDS = {
  "visit create": "Visit record", "arrangement create": "Repayment arrangement",
  "arrangement update": "Arrangement status", "tenant update": "Contact details",
  "repair create": "Repair referral", "concern create": "Safeguarding concern",
  "marker create": "Warning marker", "checkin create": "Check-in", "checkin update": "Check-out",
};

// What the officer put in a record, so a rejected one can be recorded again: their own
// words, else what they agreed or changed.
function written(m) {
  const p = m.payload || {};
  const words = p.notes || p.description || p.seen;
  if (words) return words;
  if (m.entity_type === "arrangement" && m.op === "create") {
    return `${money(p.amount)} ${(p.frequency || "").replace("_", " ")}, first payment ${p.start_date}`;
  }
  if (m.entity_type === "tenant") return Object.entries(p).map(([k, v]) => `${said(k)}: ${v}`).join("; ");
  return "";
}

// A field as the officer knows it: "start date", not "payload.start_date".
const said = (field) => field.replace(/^payload\./, "").replaceAll("_", " ");

// The home a record is about: named in it, or by its tenancy, or by the record it edits.
function homeOf(m) {
  const p = m.payload || {};
  const record = engine.one(m.entity_type, m.entity_id) || {};
  const ref = p.tenancy_ref || record.tenancy_ref;
  const uprn = p.uprn ?? record.uprn ?? (ref ? engine.one("tenancy", ref)?.uprn : undefined);
  return uprn === undefined || uprn === null ? null : engine.one("property", uprn);
}

// The record a photo belongs to, in words: a failed photo names it.
function photoOwner(sha256, describe) {
  const entry = [...engine.outbox.values()].find((e) => (e.mutation.payload?.photos || []).includes(sha256));
  if (entry) return `${describe(entry.mutation)}, recorded ${when(entry.mutation.observed_at)}`;
  const repair = engine.list("repair").find((r) => (r.photos || []).includes(sha256));
  const home = repair && engine.one("property", repair.uprn);
  return repair ? `Repair referral${home ? ` at ${home.address_line_1}` : ""}` : "A photo";
}

export function syncView() {
  const s = engine.status();
  const describe = (m) => {
    const home = homeOf(m);
    const where = home ? ` at ${home.address_line_1}` : "";
    const what = KINDS[`${m.entity_type} ${m.op}`] || `${m.entity_type} ${m.op}`;
    return `${what}${where}`;
  };
  const syncNow = h("button.primary", { onclick: () => engine.sync() }, "Sync now");
  return h("section", { "aria-labelledby": "sync-title" },
    h("h1", { id: "sync-title" }, "Sync"),
    h("p.status", { role: "status", "data-tone": s.state === "error" ? "bad" : "info" }, s.message),
    h("p", `Last finished sync: ${when(s.lastSync)}`),
    h("div.actions", syncNow),
    h("h2", `Waiting to send (${s.waiting.length})`),
    s.waiting.length
      ? h("ul", { id: "waiting" }, s.waiting.map((e) => h("li", `${describe(e.mutation)}, recorded ${when(e.mutation.observed_at)}`)))
      : h("p", "Nothing waiting."),
    s.photosWaiting ? h("p", `${s.photosWaiting} photo(s) waiting to upload.`) : null,
    s.photosFailed.length ? h("ul", { id: "photos-failed" }, s.photosFailed.map((p) => h("li.status", { "data-tone": "bad" },
      `${photoOwner(p.sha256, describe)}: its photo could not be uploaded (${p.error}). The record itself was ` +
        "sent without it. To fix it, take the photo again with the camera (a JPEG or PNG picture) and " +
        "record it again with the photo, then dismiss this. ",
      h("button", { onclick: () => engine.dismissPhoto(p.sha256) }, "Dismiss")))) : null,
    h("h2", `Rejected (${s.rejected.length})`),
    s.rejected.length
      ? h("ul", { id: "rejected" }, s.rejected.map((e) => h("li",
          `${describe(e.mutation)}, recorded ${when(e.mutation.observed_at)}: ${e.result.reason || e.result.code} `,
          Object.entries(e.result.errors || {}).map(([f, m]) => h("span.meta", `(${said(f)}: ${[].concat(m).join(" ")}) `)),
          written(e.mutation) ? h("blockquote", `What you recorded: ${written(e.mutation)}`) : null,
          h("button", { onclick: () => engine.dismiss(e.mutation.mutation_id) }, "Dismiss"))))
      : h("p", "Nothing rejected. Your team leader reviews anything that is."),
    s.conflicts.length
      ? [h("h2", "Under review"), h("ul", s.conflicts.map((e) => h("li",
          `${describe(e.mutation)}: someone else changed ${(e.result.conflicts || []).map((c) => c.field).join(", ")} first; your value is with your team leader `,
          h("button", { onclick: () => engine.dismiss(e.mutation.mutation_id) }, "Dismiss"))))]
      : null,
    h("h2", "This device"),
    h("p", `Signed in as ${engine.session.user.display_name} on “${engine.session.device.name}”.`),
    h("div.actions", h("button.danger", {
      onclick: async (event) => {
        try {
          await engine.logout();
          go("#login");
        } catch (error) {
          event.target.after(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error)));
        }
      },
    }, "Sign out")),
  );
}
