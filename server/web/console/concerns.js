// The safeguarding lead's inbox: open concerns, immediate danger at the top, then those
// with nothing recorded yet, then the rest, newest first. A concern and its follow-ups
// are one case. Opening a case reads it again (an audited read, with its ETag), to record
// a follow-up (a referral, its outcome, a note) or clear the home's flag. Every list and
// every opening is written to the audit log by the API.

import { allPages, ApiError, explain } from "../web/api.js";
import { announce, field, h, localMinute } from "../web/ui.js";
import { app, call, label, statusLine } from "./common.js";

const SHOW = { open: "Open", closed: "Closed", all: "All" };
const QUERY = { open: "?flagged=true", closed: "?flagged=false", all: "" };
let reopen = null; // the case to open again after an action redraws the screen

// A moment in en-GB, in England's time, with its year (closed cases go back years).
const when = (instant) => new Date(instant).toLocaleString("en-GB", {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  timeZone: "Europe/London",
});

export async function concernsView() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const show = SHOW[params.get("show")] ? params.get("show") : "open";
  const dangerOnly = params.get("danger") === "1";
  const items = await allPages(`/concerns${QUERY[show]}`, app.session.token);
  const all = cases(items).filter((c) => !dangerOnly || c.danger);
  const again = reopen;
  reopen = null;
  const danger = all.filter((c) => c.danger).length;
  const status = statusLine();
  const heading = `Safeguarding concerns: ${SHOW[show].toLowerCase()}`;
  return [
    h("h1", heading),
    h("p.meta", "Immediate danger first, then concerns with nothing recorded yet, then the rest, newest first. Opening a concern is recorded in the audit log, as every read of a concern is."),
    filters(show, dangerOnly),
    status,
    h("p", { role: "status" }, all.length
      ? `${all.length} ${all.length === 1 ? "concern" : "concerns"}, ${danger} in immediate danger.`
      : dangerOnly ? "No concern in immediate danger." : `No ${show === "all" ? "" : `${SHOW[show].toLowerCase()} `}concerns.`),
    h("ol.plain", all.map((c) => h("li", caseCard(c, status, c.id === again)))),
  ];
}

// Which concerns to list: open, closed or all, and whether only immediate danger.
function filters(show, dangerOnly) {
  const link = (key, danger) => `#concerns?show=${key}${danger ? "&danger=1" : ""}`;
  const box = h("input", { type: "checkbox", id: "danger-only", checked: dangerOnly });
  box.addEventListener("change", () => { location.hash = link(show, box.checked); });
  return h("div.actions", { role: "group", "aria-label": "Which concerns" },
    h("span", "Show: ", Object.entries(SHOW).map(([key, text]) => [h("a.button", {
      href: link(key, dangerOnly), "aria-current": key === show ? "page" : null,
    }, text), " "])),
    h("div.field.check", box, h("label", { for: "danger-only" }, "Immediate danger only")));
}

// Concerns grouped into cases: each follow-up joins the concern it follows (a follow-up
// whose first concern is not in this list, e.g. closed, heads a case of its own).
function cases(items) {
  const byId = new Map(items.map((c) => [c.id, c]));
  const top = (c) => {
    let at = c;
    for (let hops = 0; at.follows && byId.has(at.follows) && hops < 50; hops++) at = byId.get(at.follows);
    return at;
  };
  const groups = new Map();
  for (const c of items) {
    const head = top(c);
    if (!groups.has(head.id)) groups.set(head.id, { head, members: [] });
    groups.get(head.id).members.push(c);
  }
  return [...groups.values()].map(({ head, members }) => {
    const byTime = members.sort((a, b) => a.observed_at.localeCompare(b.observed_at));
    const latest = (key) => [...byTime].reverse().find((c) => c[key]);
    return {
      id: head.follows || head.id, // a follow-up heading a case opens its first concern
      head,
      followUps: byTime.filter((c) => c !== head),
      danger: members.some((c) => c.immediate_danger && !c.cleared),
      fresh: members.length === 1 && !head.follows && !head.referred_to && !head.outcome,
      cleared: members.every((c) => c.cleared),
      referral: latest("referred_to"),
      outcome: latest("outcome"),
      last: byTime[byTime.length - 1].observed_at,
    };
  }).sort((a, b) => (b.danger - a.danger) || (b.fresh - a.fresh) || b.last.localeCompare(a.last));
}

function caseCard(c, status, opened) {
  const head = c.head;
  const state = c.cleared ? "Closed" : c.fresh ? "New" : "Open";
  const titleId = `concern-${head.id}`;
  const details = h("details", { open: opened },
    h("summary", "Open this concern: follow-ups and actions"),
    h("div", h("p", "Opening…")));
  let loaded = false;
  const load = () => {
    if (!details.open || loaded) return;
    loaded = true;
    caseDetail(c, status).then((nodes) => details.lastChild.replaceChildren(...nodes))
      .catch((error) => details.lastChild.replaceChildren(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error))));
  };
  details.addEventListener("toggle", load);
  if (opened) queueMicrotask(load);
  return h("article.card", { "aria-labelledby": titleId, dataset: { concern: head.id } },
    h("h2", { id: titleId },
      c.danger ? [h("span.tag.bad", "Immediate danger"), " "] : null,
      head.address),
    h("ul.tags", { "aria-label": "State" },
      h(`li.tag${c.cleared ? ".ok" : c.fresh ? ".warn" : ""}`, state),
      h("li.tag", label("concern_categories", head.category))),
    head.follows ? h("p.meta", "A follow-up to a concern that is closed: open it to see the first concern.") : null,
    h("dl.facts", pair("About", head.subjects.join("; ")),
      pair("Raised", `${when(head.observed_at)} by ${head.raised_by_username}`),
      pair("What was seen", h("blockquote", head.seen)),
      pair("Referral", referralText(c.referral)),
      pair("Outcome", c.outcome ? c.outcome.outcome : "No outcome recorded yet."),
      pair("Follow-ups", c.followUps.length ? `${c.followUps.length}, the last ${when(c.last)}` : "None yet."),
      c.cleared ? pair("Closed", `${when(head.cleared_at)} by ${head.cleared_by_username}`) : null),
    details);
}

const pair = (term, value) => [h("dt", term), h("dd", value)];

function referralText(c) {
  if (!c) return "No referral recorded yet.";
  const ref = c.referral_ref ? ` (reference ${c.referral_ref})` : "";
  return `To ${c.referred_to}${ref}${c.referred_at ? `, ${when(c.referred_at)}` : ""}.`;
}

// A concern read with its ETag: the API's answer and the version the next follow-up names.
async function readConcern(id) {
  const response = await fetch(`/concerns/${encodeURIComponent(id)}`, {
    headers: { Authorization: `Bearer ${app.session.token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return [body, response.headers.get("ETag")];
}

// An opened case: every follow-up in full, then the actions.
async function caseDetail(c, status) {
  const [concern, etag] = await readConcern(c.id);
  const followUps = concern.follow_ups;
  return [
    h("h3", `Follow-ups (${followUps.length})`),
    followUps.length
      ? h("ol", followUps.map((f) => h("li",
          h("p", h("strong", when(f.observed_at)), ` ${f.raised_by_username}`, f.immediate_danger ? [" ", h("span.tag.bad", "Immediate danger")] : null),
          h("blockquote", f.seen),
          f.referred_to ? h("p", `Referral: ${referralText(f)}`) : null,
          f.outcome ? h("p", `Outcome: ${f.outcome}`) : null)))
      : h("p", "No follow-up yet."),
    followUpForm(c.id, concern, etag, status),
    concern.cleared && followUps.every((f) => f.cleared) ? null : clearForm(c.id, concern, status),
  ];
}

function followUpForm(caseId, concern, etag, status) {
  const form = h("form", { "aria-label": `Record a follow-up to the concern at ${concern.address}` },
    h("h3", "Record a follow-up"),
    field("What was done or learnt", "note", "textarea", { required: true, maxlength: 4000 }),
    field("Referred to", "referred_to", "text", { maxlength: 200, hint: "For example Children's Services (MASH), Adult Social Care, the police." }),
    field("Referral reference", "referral_ref", "text", { maxlength: 100 }),
    field("Referral made at", "referred_at", "datetime-local", { max: localMinute() }),
    field("Outcome", "outcome", "textarea", { maxlength: 2000 }),
    field("Someone is in immediate danger now", "immediate_danger", "checkbox"),
    h("button.primary", { type: "submit" }, "Record follow-up"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    const body = { note: d.get("note").trim(), immediate_danger: d.get("immediate_danger") === "on" };
    for (const key of ["referred_to", "referral_ref", "outcome"]) {
      if (d.get(key).trim()) body[key] = d.get(key).trim();
    }
    if (d.get("referred_at")) body.referred_at = new Date(d.get("referred_at")).toISOString();
    await act(status, caseId, () => call("POST", `/concerns/${concern.id}/follow-ups`, body, { "If-Match": etag }),
      `Follow-up recorded for the concern at ${concern.address}.`);
  });
  return form;
}

function clearForm(caseId, concern, status) {
  const form = h("form", { "aria-label": `Clear the safeguarding flag at ${concern.address}` },
    h("h3", "Clear the home's safeguarding flag"),
    h("p.meta", "Closes every concern held for this home now, this one and its follow-ups included. A concern synced from a phone later raises the flag again."),
    field("Why it can be cleared", "reason", "textarea", { required: true, maxlength: 2000 }),
    h("button.danger", { type: "submit" }, "Clear the flag"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = new FormData(form).get("reason").trim();
    await act(status, caseId, async () => {
      const done = await call("POST", `/concerns/flags/${concern.uprn}/clear`, { reason });
      return `The flag at ${concern.address} is cleared: ${done.cleared.length} ${done.cleared.length === 1 ? "concern" : "concerns"} closed.`;
    });
  });
  return form;
}

// Do one action; on success redraw the inbox with the case open again and say what
// happened; on failure say why (a 412: someone else acted first, so read it again).
async function act(status, caseId, request, done) {
  try {
    const said = await request();
    app.flash = typeof said === "string" ? said : done;
    reopen = caseId;
    app.render();
  } catch (error) {
    const text = error.status === 412
      ? "Someone recorded a follow-up or cleared the flag since you opened this concern. Close and open it again to see it, then decide."
      : explain(error);
    announce(status, text, "bad");
    status.scrollIntoView({ block: "nearest" });
  }
}

// Now as a datetime-local value, in the browser's time.
