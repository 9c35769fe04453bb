// The console's review: lone-working alerts, markers awaiting approval, conflicts,
// rejected records and what a rule flagged. Each names the home by its address and says
// in words what was sent and why it was refused.

import { allPages, explain } from "../web/api.js";
import { announce, h, when } from "../web/ui.js";
import { overdue, ukPhone } from "./alerts.js";
import { app, call, label, table } from "./common.js";

// Each record kind in words, with its article.
const KINDS = {
  visit: "a visit", arrangement: "a repayment arrangement", promise: "a promise to pay",
  repair: "a repair", concern: "a safeguarding concern", marker: "a warning marker",
  checkin: "a lone-working check-in", tenant: "a tenant's contact details", account: "a rent account",
  statement: "a rent statement",
};
// Fields whose names are not the words for them, and the code lists of coded fields.
const FIELDS = { uprn: "home", tenancy_ref: "tenancy", code: "type", person_ref: "tenant" };
const LISTS = {
  "marker.code": "marker_codes", "repair.category": "repair_categories", "repair.hazard_class": "hazard_classes",
  "concern.category": "concern_categories", "visit.outcome": "visit_outcomes", "visit.channel": "channels",
  "arrangement.frequency": "arrangement_frequencies",
};

const kindOf = (type) => KINDS[type] || (type ? `a ${type} record` : "a record");
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const lower = (text) => text.charAt(0).toLowerCase() + text.slice(1);
const fieldWords = (name) => { const bare = name.replace(/^payload\./, ""); return FIELDS[bare] || bare.replaceAll("_", " "); };
const possessive = (type) => {
  const noun = kindOf(type).replace(/^an? /, "");
  return `the ${noun}${noun.endsWith("s") ? "'" : "'s"}`;
};
export const addressOf = (x) => (x.address_line_1 ? [x.address_line_1, x.postcode].filter(Boolean).join(", ") : null);

// "visit create" at a home, in words: "A new visit at 2 Raleigh Close, BA14 8AA".
function recordWords(r) {
  const what = r.op === "create" ? `a new ${kindOf(r.entity_type).replace(/^an? /, "")}`
    : r.op === "update" ? `a change to ${kindOf(r.entity_type)}` : kindOf(r.entity_type);
  const where = addressOf(r) || (r.uprn ? "a home Doorstep does not know" : null);
  return capital(where ? `${what} at ${where}` : what);
}

// Why a record was refused, as sentences: 'payload.code: Must be one of…' becomes "The
// warning marker's type “nope” is not one Doorstep knows."
export function whyWords(r) {
  const errors = Object.entries(r.result?.errors || {});
  if (!errors.length) return r.result?.reason || r.result?.code || "";
  return errors.map(([name, messages]) => {
    const bare = name.replace(/^payload\./, "");
    const sent = r.body?.payload?.[bare];
    const list = LISTS[`${r.entity_type}.${bare}`];
    const text = [].concat(messages).join(" ");
    if (/^must be one of/i.test(text)) {
      const choices = list ? ` Choices: ${Object.values(app.config.codes[list] || {}).map((x) => x.split(":")[0]).join("; ")}.` : "";
      return `${capital(possessive(r.entity_type))} ${fieldWords(name)}${sent !== undefined ? ` “${sent}”` : ""} is not one Doorstep knows.${choices}`;
    }
    return `${capital(possessive(r.entity_type))} ${fieldWords(name)}: ${lower(text)}`;
  }).join(" ");
}

export async function reviewView() {
  const [conflicts, rejections, flagged, alerts, markers] = await Promise.all([
    allPages("/sync/conflicts?status=open", app.session.token),
    allPages("/sync/rejections?reviewed=false", app.session.token),
    allPages("/sync/flagged?status=open", app.session.token),
    call("GET", "/lone-working/alerts"),
    allPages("/markers", app.session.token),
  ]);
  const status = h("p.status", { role: "status" });
  const act = (method, path, body, done) => async () => {
    try {
      await call(method, path, body);
      announce(status, done, "ok");
      setTimeout(app.render, 600);
    } catch (error) {
      announce(status, explain(error), "bad");
    }
  };
  const show = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return [
    h("h1", "Review"), status,
    h("h2", { id: "alerts" }, `Lone working alerts (${alerts.length})`),
    alerts.length
      ? table(["Officer", "Home", "Overdue", "Work phone", "What was done"], alerts.map((a) => [
          a.display_name || a.username,
          h("span", addressOf(a), (a.markers || []).map((m) => h("span.tag.bad", label("marker_codes", m).split(":")[0]))),
          `${overdue(a.overdue_minutes)} (checked in ${when(a.checked_in_at)}, expected out ${when(a.expected_out_at)})`,
          a.work_phone ? h("a", { href: `tel:${a.work_phone}` }, ukPhone(a.work_phone)) : "None recorded",
          clearNote(a, act),
        ]))
      : h("p", "No officer is overdue."),
    h("h2", `Warning markers awaiting approval (${markers.length})`),
    markers.length
      ? table(["Home", "Marker", "Why", "Raised by", ""], markers.map((m) => [
          addressOf(m) || "A home Doorstep does not know", label("marker_codes", m.code), `${m.description || ""} ${m.source_incident ? `(incident: ${m.source_incident})` : ""}`,
          m.raised_by_username || "",
          markerDecision(m, act),
        ]))
      : h("p", "Nothing awaiting approval."),
    h("h2", `Conflicts (${conflicts.length})`),
    conflicts.length
      ? table(["Record", "Field", "Kept", "Other value", ""], conflicts.map((c) => [
          capital(`${kindOf(c.entity_type)}${addressOf(c) ? ` at ${addressOf(c)}` : ""}`), capital(fieldWords(c.field)),
          `${show(c.kept_value)} (${c.kept_by_username || c.kept_source}, ${when(c.kept_at)})`,
          `${show(c.other_value)} (${c.other_by_username || c.other_source}, ${when(c.other_at)})`,
          h("span", h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "kept" }, "Kept value confirmed.") }, "Keep"), " ",
            h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "other" }, "Other value chosen.") }, "Use other value")),
        ]))
      : h("p", "No conflicts to review."),
    h("h2", `Rejected records (${rejections.length})`),
    rejections.length
      ? table(["Officer", "Record", "Why", "Received", ""], rejections.map((r) => [
          r.username, recordWords(r), whyWords(r),
          when(r.received_at),
          h("button", { type: "button", "aria-label": `Mark ${r.username}'s rejected ${r.entity_type || "record"} as reviewed`, onclick: act("POST", `/sync/rejections/${r.id}/review`, undefined, "Marked as reviewed.") }, "Mark reviewed"),
        ]))
      : h("p", "Nothing rejected."),
    h("h2", `Flagged by a rule: Breathing Space (${flagged.length})`),
    flagged.length
      ? table(["Home", "What", "Rule", "When", "Your note"], flagged.map((f) => [
          addressOf(f) || "A home Doorstep does not know",
          f.source === "import" ? `An import's ${f.step.replaceAll("_", " ")} step of ${f.step_date} (line ${f.line})`
            : capital(`${kindOf(f.entity_type)} recorded by ${f.username || "an officer"}`),
          h("span", h("strong", f.rule), " ", f.message),
          when(f.observed_at || f.created_at),
          reviewNote(f, act),
        ]))
      : h("p", "Nothing flagged."),
  ];
}

// Approve or reject a marker raised in the field, named by its type and home (not its
// id); a rejection, which takes a warning away from whoever visits next, asks first.
function markerDecision(m, act) {
  const what = `the ${label("marker_codes", m.code).split(":")[0]} marker at ${addressOf(m) || "this home"}`;
  const decide = (approve, done) => act("POST", `/markers/${m.marker_ref}/decision`, { approve }, done);
  const reject = () => {
    if (confirm(`Reject ${what}? Nobody visiting will be warned of it.`)) decide(false, "Marker rejected.")();
  };
  return h("span",
    h("button.primary", { type: "button", "aria-label": `Approve ${what}`, onclick: decide(true, "Marker approved.") }, "Approve"), " ",
    h("button.danger", { type: "button", "aria-label": `Reject ${what}`, onclick: reject }, "Reject"));
}

// An alert is cleared with what was done: the leader's note, then the button.
function clearNote(alert, act) {
  const who = alert.display_name || alert.username;
  const note = h("input", { type: "text", maxlength: 2000, "aria-label": `What was done about ${who}`, placeholder: "Phoned: safe" });
  const button = h("button.danger", { type: "button", "aria-label": `${who} is safe: clear the alert` }, `${who} is safe: clear`);
  // No note, no clearing: the server refuses a blank one, and says so (as the banner does).
  button.addEventListener("click", () => act("POST", `/lone-working/alerts/${alert.id}/clear`, { note: note.value.trim() }, "Alert cleared.")());
  return h("span", note, " ", button);
}

// A flagged item's review: the leader's note, then "Mark reviewed".
function reviewNote(item, act) {
  const note = h("input", { type: "text", maxlength: 2000, "aria-label": `Note on flagged item ${item.id}` });
  const button = h("button", { type: "button" }, "Mark reviewed");
  button.addEventListener("click", () => act("POST", `/sync/flagged/${item.id}/review`, { note: note.value }, "Marked as reviewed.")());
  return h("span", note, " ", button);
}
