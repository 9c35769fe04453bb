// The console's Repairs screen (maintenance's home): the queue, most urgent first; one
// repair with its photos, the visit's access needs and markers, and its steps, recorded
// with the ETag it was read with; and a printable job sheet.
//
// #repairs?show=overdue&hazard=emergency&patch=3&postcode=BA14  the queue, filtered
// #repairs?id=<repair id>                                       one repair
// #repairs?sheet=<repair id>                                    its job sheet

import { ApiError, explain } from "../web/api.js";
import { announce, field, h, localMinute, when } from "../web/ui.js";
import { app, call, label, statusLine } from "./common.js";

const WORKERS = ["maintenance", "admin"];
// What "Show" asks the API for.
const SHOWS = {
  open: ["Open repairs", { open: "true" }],
  overdue: ["Overdue", { due: "overdue" }],
  due_soon: ["Due soon", { due: "due_soon" }],
  closed: ["Completed or cancelled", { open: "false" }],
  all: ["All repairs", {}],
};
const PAGE = 100;
let lastQueue = "#repairs"; // the queue's filters, for the way back from a repair
let draft = null; // a step the server refused with 412, kept to be sent again

const params = () => new URLSearchParams(location.hash.split("?")[1] || "");
const hazard = (r) => label("hazard_classes", r.hazard_class).split(":")[0];
const what = (r) => `${label("repair_categories", r.category)}, ${r.location}`;
const home = (r) => r.address || "Address not on record";

export async function repairsView() {
  const query = params();
  if (query.get("sheet")) return jobSheet(query.get("sheet"));
  if (query.get("id")) return repairView(query.get("id"));
  return queueView(query);
}

// --- the queue ------------------------------------------------------------------------

async function queueView(query) {
  lastQueue = location.hash || "#repairs";
  const show = SHOWS[query.get("show")] ? query.get("show") : "open";
  const api = new URLSearchParams({ order: "urgency", limit: PAGE, ...SHOWS[show][1] });
  for (const [mine, theirs] of [["hazard", "hazard_class"], ["patch", "patch_id"], ["postcode", "postcode"]]) {
    if (query.get(mine)) api.set(theirs, query.get(mine));
  }
  const [patches, first] = await Promise.all([call("GET", "/patches"), call("GET", `/repairs?${api}`)]);
  const status = statusLine();
  const rows = h("tbody", first.items.map(queueRow));
  const count = h("p.meta", { "aria-live": "polite" });
  const counted = () => {
    const n = rows.children.length;
    count.textContent = `${n}${next ? " or more" : ""} ${n === 1 && !next ? "repair" : "repairs"}, most urgent first: overdue ones, then by the next Awaab's Law deadline.`;
  };
  let next = first.next_after;
  const more = h("button", {
    type: "button", hidden: !next,
    onclick: async () => {
      try {
        const page = await call("GET", `/repairs?${api}&after=${encodeURIComponent(next)}`);
        rows.append(...page.items.map(queueRow));
        next = page.next_after;
        more.hidden = !next;
        counted();
      } catch (error) {
        announce(status, explain(error), "bad");
      }
    },
  }, "Show more repairs");
  counted();
  return [
    h("h1", "Repairs queue"),
    filters(query, show, patches),
    status, count,
    first.items.length
      ? h("table.queue",
          h("caption.skip", "Repairs, most urgent first"),
          h("thead", h("tr", ["Home", "Repair", "Awaab's Law deadlines", "For the visit", ""].map((x) => h("th", { scope: "col" }, x)))),
          rows)
      : h("p", "No repairs match these filters."),
    more,
  ];
}

function filters(query, show, patches) {
  const form = h("form.inline.filters", { "aria-label": "Filter the queue" },
    field("Show", "show", "select", { choices: Object.fromEntries(Object.entries(SHOWS).map(([k, [text]]) => [k, text])) }),
    field("Hazard class", "hazard", "select", {
      choices: { "": "Any", ...Object.fromEntries(Object.keys(app.config.codes.hazard_classes || {}).map((k) => [k, label("hazard_classes", k).split(":")[0]])) },
    }),
    field("Patch", "patch", "select", { choices: [["", "Any"], ...patches.map((p) => [p.id, p.name])] }),
    field("Postcode or district", "postcode", "text", { maxlength: 10, value: query.get("postcode") || "", hint: "For example BA14, or BA14 8" }),
    h("button.primary", { type: "submit" }, "Filter"));
  form.querySelector("[name=show]").value = show;
  form.querySelector("[name=hazard]").value = query.get("hazard") || "";
  form.querySelector("[name=patch]").value = query.get("patch") || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(form)].filter(([, v]) => v.trim()));
    location.hash = `repairs?${chosen}`;
  });
  return form;
}

function queueRow(r) {
  return h("tr", { dataset: { repair: r.id } },
    h("td", h("strong", home(r)), h("br"), h("span.meta", r.patches.map((p) => p.name).join(", "))),
    h("td", h(`span.tag${r.hazard_class === "emergency" ? ".bad" : r.hazard_class === "significant" ? ".warn" : ""}`, hazard(r)),
      " ", what(r), h("br"), h("span.meta", label("repair_statuses", r.status))),
    h("td", deadlineList(r)),
    h("td", visitTags(r)),
    h("td", h("div.links", h("a.button", { href: `#repairs?id=${r.id}`, "aria-label": `Open the repair at ${home(r)}: ${what(r)}` }, "Open"),
      h("a.button", { href: `#repairs?sheet=${r.id}`, "aria-label": `Job sheet for the repair at ${home(r)}` }, "Job sheet"))),
  );
}

// How long until (or since) an instant, in words.
export function timeLeft(instant, now = Date.now()) {
  const minutes = Math.round((new Date(instant).getTime() - now) / 60000);
  const size = Math.abs(minutes);
  const days = Math.floor(size / 1440);
  const hours = Math.floor((size % 1440) / 60);
  const words = days >= 2 ? `${days} days` : days === 1 ? `1 day ${hours} h`
    : hours ? `${hours} h${size % 60 ? ` ${size % 60} min` : ""}` : `${size} min`;
  return minutes < 0 ? `overdue by ${words}` : `${words} left`;
}

function deadlineText(d) {
  if (d.state === "waiting") return "starts when the investigation ends";
  if (d.state === "closed") return "closed";
  if (d.met_at) return `met ${when(d.met_at)}${d.state === "met_late" ? ", late" : ""}`;
  return `due ${when(d.due_at)}, ${timeLeft(d.due_at)}`;
}

const TONES = { overdue: ".bad", due_soon: ".warn", met: ".ok", met_late: ".warn" };

// Every deadline with its time left; those that wait for the investigation, in one line.
function deadlineList(r) {
  if (!r.deadlines.length) return h("span.meta", "No statutory timescale");
  const waiting = r.deadlines.filter((d) => d.state === "waiting");
  return h("ul.plain", r.deadlines.filter((d) => d.state !== "waiting").map((d) => h("li", `${d.what}: `,
    h(`span.tag${TONES[d.state] || ""}`, deadlineText(d)))),
  waiting.length ? h("li.meta", `Once investigated: ${waiting.map((d) => d.what.toLowerCase()).join("; ")}.`) : "");
}

function visitTags(r) {
  const needs = r.tenants.flatMap((t) => [
    ...t.access_needs.map((v) => label("vulnerabilities", v)),
    ...(t.interpreter_needed ? [`Interpreter${t.language ? ` (${t.language})` : ""}`] : []),
    ...(t.reasonable_adjustments ? [t.reasonable_adjustments] : []),
  ]);
  const tags = [
    ...r.markers.map((m) => h("li", h("span.tag.bad", label("marker_codes", m.code)))),
    ...[...new Set(needs)].map((n) => h("li", h("span.tag", n))),
  ];
  return tags.length ? h("ul.tags", tags) : h("span.meta", "Nothing recorded");
}

// --- one repair -----------------------------------------------------------------------

// A repair and its ETag: api() gives only the body, and the step needs the header.
async function readRepair(id) {
  const response = await fetch(`/repairs/${encodeURIComponent(id)}`, {
    headers: { Authorization: `Bearer ${app.session.token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return { repair: body, etag: response.headers.get("ETag") };
}

async function recordStep(id, etag, step) {
  const response = await fetch(`/repairs/${encodeURIComponent(id)}/actions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${app.session.token}`, "Content-Type": "application/json", "If-Match": etag },
    body: JSON.stringify(step),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function repairView(id) {
  const { repair: r, etag } = await readRepair(id);
  const status = statusLine();
  if (draft?.id === id) {
    announce(status, "Someone else recorded a step on this repair since you opened it. It has been read again: check its steps below, then record yours again (what you typed is kept).", "bad");
  }
  return [
    h("p", h("a", { href: lastQueue }, "Back to the queue")),
    h("h1", `${what(r)}: ${home(r)}`),
    h("p", h(`span.tag${r.hazard_class === "emergency" ? ".bad" : r.hazard_class === "significant" ? ".warn" : ""}`, label("hazard_classes", r.hazard_class)),
      " ", h("strong", label("repair_statuses", r.status)),
      ` · reported by ${r.reported_by_username}, seen ${when(r.observed_at)}`),
    h("p", h("a.button", { href: `#repairs?sheet=${r.id}` }, "Job sheet (print)")),
    status,
    h("blockquote", r.description),
    h("div.grid",
      h("div.card", h("h2", "Awaab's Law deadlines"), deadlineList(r)),
      h("div.card", h("h2", "For the visit"), visitDetails(r))),
    h("h2", "Photos"),
    photos(r),
    h("h2", "Steps"),
    steps(r),
    WORKERS.includes(app.session.user.role)
      ? stepForm(r, etag, status)
      : h("p.meta", "Only maintenance and admins record steps."),
  ];
}

function tenantList(r) {
  const tenants = r.tenants.map((t) => h("li",
    h("strong", t.name), t.is_lead ? " (lead tenant)" : "",
    [t.phone, t.mobile].filter(Boolean).map((n) => [" · ", h("a", { href: `tel:${n.replace(/\s/g, "")}`, "aria-label": `Call ${t.name} on ${n}` }, n)]),
    ` · prefers ${label("contact_methods", t.preferred_contact)}`,
    t.language ? ` · speaks ${t.language}` : "",
    t.interpreter_needed ? h("span", " · ", h("strong", "needs an interpreter")) : "",
    t.reasonable_adjustments ? h("div", `Adjustments: ${t.reasonable_adjustments}`) : "",
    t.access_needs.length ? h("div", `Access needs: ${t.access_needs.map((v) => label("vulnerabilities", v)).join("; ")}`) : ""));
  return tenants.length ? h("ul", tenants) : h("p.meta", "No current tenancy: the home may be empty.");
}

function visitDetails(r) {
  return [
    h("p", home(r), r.patches.length ? h("span.meta", ` (${r.patches.map((p) => p.name).join(", ")})`) : ""),
    r.markers.length
      ? [h("h3", "Warning markers"), h("ul", r.markers.map((m) => h("li", h("span.tag.bad", label("marker_codes", m.code)), ` ${m.description}`)))]
      : h("p.meta", "No warning markers in force."),
    h("h3", "Tenants"),
    tenantList(r),
  ];
}

// Photos are fetched with the token (an <img src> cannot send it) and shown from memory.
function photos(r) {
  if (!r.photos.length) return h("p.meta", "No photos with this referral.");
  const list = h("ul.photos");
  r.photos.forEach((sha, i) => {
    const item = h("li", h("span.meta", `Photo ${i + 1}: loading…`));
    list.append(item);
    if (r.missing_photos.includes(sha)) {
      item.replaceChildren(h("span.meta", `Photo ${i + 1}: not uploaded yet by ${r.reported_by_username}'s phone.`));
      return;
    }
    fetch(`/blobs/${sha}`, { headers: { Authorization: `Bearer ${app.session.token}` } })
      .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((blob) => item.replaceChildren(h("img", { src: URL.createObjectURL(blob), alt: `Photo ${i + 1} of ${what(r)} at ${home(r)}` })))
      .catch(() => item.replaceChildren(h("span.meta", `Photo ${i + 1} could not be loaded.`)));
  });
  return list;
}

function steps(r) {
  return h("ol", r.events.map((e) => h("li",
    h("strong", e.action === "reported" ? "Reported" : label("repair_actions", e.action)),
    ` ${when(e.at)} by ${e.by_username}`, e.note ? h("div", e.note) : "")));
}


function stepForm(r, etag, status) {
  if (!r.next_actions.length) return h("p.meta", "No further step can be recorded: the repair is closed.");
  const mine = draft?.id === r.id ? draft : null;
  draft = null;
  const choices = Object.fromEntries(r.next_actions.map((a) => [a, label("repair_actions", a)]));
  const form = h("form", { "aria-labelledby": "step-title" },
    h("h2", { id: "step-title" }, "Record a step"),
    field("Step", "action", "select", { choices }),
    field("Note", "note", "textarea", { maxlength: 2000, hint: "What was done or found. Required to cancel: the reason." }),
    field("When it happened", "at", "datetime-local", { max: localMinute(), hint: "Leave as it is for now; earlier if you are entering it afterwards." }),
    h("button.primary", { type: "submit" }, "Record the step"));
  const [action, note, at] = ["action", "note", "at"].map((n) => form.querySelector(`[name=${n}]`));
  at.value = mine?.at || localMinute();
  at.addEventListener("change", () => (at.dataset.changed = "yes"));
  if (mine) {
    if (r.next_actions.includes(mine.action)) action.value = mine.action;
    note.value = mine.note;
    if (mine.at) at.dataset.changed = "yes";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const step = { action: action.value };
    if (note.value.trim()) step.note = note.value.trim();
    if (at.value && at.dataset.changed) step.at = new Date(at.value).toISOString();
    try {
      await recordStep(r.id, etag, step);
      app.flash = `${label("repair_actions", step.action)}: recorded for ${home(r)}.`;
      app.render();
    } catch (error) {
      if (error.status === 412) {
        // Someone else recorded a step since this page read the repair: read it again,
        // and keep what was typed so it can be checked and sent again.
        draft = { id: r.id, action: action.value, note: note.value, at: at.dataset.changed ? at.value : "" };
        app.render();
        return;
      }
      announce(status, explain(error), "bad");
    }
  });
  return form;
}

// --- the job sheet --------------------------------------------------------------------

async function jobSheet(id) {
  const { repair: r } = await readRepair(id);
  const row = (name, ...value) => [h("dt", name), h("dd", ...value)];
  const lines = (n) => h("div.lines", Array.from({ length: n }, () => h("span")));
  const signature = (who) => h("div.sign", h("h3", who), h("p", "Name"), h("p", "Signature"), h("p", "Date and time"));
  return h("article.job-sheet",
    h("div.actions.no-print",
      h("a", { href: `#repairs?id=${r.id}` }, "Back to the repair"),
      h("button.primary", { type: "button", onclick: () => window.print() }, "Print the job sheet")),
    h("h1", `Job sheet: ${what(r)}`),
    h("p.meta", `Repair ${r.id} · printed ${when(new Date().toISOString())}`),
    h("dl",
      row("Address", h("strong", home(r)), r.patches.length ? ` (${r.patches.map((p) => p.name).join(", ")})` : ""),
      row("Hazard", label("hazard_classes", r.hazard_class)),
      row("Status", label("repair_statuses", r.status)),
      row("Reported", `${when(r.observed_at)} by ${r.reported_by_username}`),
      row("Warning markers", r.markers.length
        ? h("ul", r.markers.map((m) => h("li", h("strong", label("marker_codes", m.code)), ` ${m.description}`)))
        : "None in force"),
      row("Tenants and access", tenantList(r))),
    h("h2", "Awaab's Law deadlines"),
    h("table", h("thead", h("tr", ["Deadline", "Due", "State"].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", r.deadlines.length
        ? r.deadlines.map((d) => h("tr", h("td", d.what), h("td", d.due_at ? when(d.due_at) : "–"), h("td", h(`span.tag${TONES[d.state] || ""}`, deadlineText(d)))))
        : h("tr", h("td", { colspan: 3 }, "No statutory timescale")))),
    h("h2", "What was seen"),
    h("p", h("strong", r.location), ": ", r.description),
    r.photos.length ? h("p.meta", `${r.photos.length} photo(s) on the repair in the console.`) : "",
    h("h2", "Steps so far"),
    steps(r),
    h("h2", "Work done"),
    lines(6),
    h("p", "Arrived ______  Left ______  Made safe? yes / no  Follow-on work needed? yes / no"),
    h("div.signatures", signature("Operative"), signature("Tenant")));
}
