// The console's review: lone-working alerts, markers awaiting approval, conflicts,
// rejected records and what a rule flagged.

import { allPages, explain } from "../web/api.js";
import { announce, h, when } from "../web/ui.js";
import { app, call, label, table } from "./common.js";

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
      ? table(["Officer", "Home", "Checked in", "Expected out", ""], alerts.map((a) => [
          a.display_name || a.username, `${a.address_line_1}, ${a.postcode}`, when(a.checked_in_at), when(a.expected_out_at),
          h("button.danger", { type: "button", "aria-label": `${a.display_name || a.username} is safe: clear the alert`, onclick: act("POST", `/lone-working/alerts/${a.id}/clear`, { note: "Contacted the officer: safe." }, "Alert cleared.") }, "Officer is safe: clear"),
        ]))
      : h("p", "No officer is overdue."),
    h("h2", `Warning markers awaiting approval (${markers.length})`),
    markers.length
      ? table(["Home", "Marker", "Why", "Raised by", ""], markers.map((m) => [
          m.uprn, label("marker_codes", m.code), `${m.description || ""} ${m.source_incident ? `(incident: ${m.source_incident})` : ""}`,
          m.raised_by_username || "",
          h("span", h("button.primary", { type: "button", "aria-label": `Approve marker ${m.marker_ref}`, onclick: act("POST", `/markers/${m.marker_ref}/decision`, { approve: true }, "Marker approved.") }, "Approve"), " ",
            h("button.danger", { type: "button", "aria-label": `Reject marker ${m.marker_ref}`, onclick: act("POST", `/markers/${m.marker_ref}/decision`, { approve: false }, "Marker rejected.") }, "Reject")),
        ]))
      : h("p", "Nothing awaiting approval."),
    h("h2", `Conflicts (${conflicts.length})`),
    conflicts.length
      ? table(["Record", "Field", "Kept", "Other value", ""], conflicts.map((c) => [
          `${c.entity_type} ${c.entity_id}`, c.field,
          `${show(c.kept_value)} (${c.kept_by_username || c.kept_source}, ${when(c.kept_at)})`,
          `${show(c.other_value)} (${c.other_by_username || c.other_source}, ${when(c.other_at)})`,
          h("span", h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "kept" }, "Kept value confirmed.") }, "Keep"), " ",
            h("button", { type: "button", onclick: act("POST", `/sync/conflicts/${c.id}/resolve`, { choose: "other" }, "Other value chosen.") }, "Use other value")),
        ]))
      : h("p", "No conflicts to review."),
    h("h2", `Rejected records (${rejections.length})`),
    rejections.length
      ? table(["Officer", "Record", "Why", "Received", ""], rejections.map((r) => [
          r.username, `${r.entity_type || "?"} ${r.op || ""}${r.body?.payload?.uprn ? ` at UPRN ${r.body.payload.uprn}` : ""}`,
          h("span", r.result?.reason || r.result?.code || "",
            Object.entries(r.result?.errors || {}).map(([f, m]) => h("span.meta", ` ${f}: ${[].concat(m).join(" ")}`))),
          when(r.received_at),
          h("button", { type: "button", "aria-label": `Mark ${r.username}'s rejected ${r.entity_type || "record"} as reviewed`, onclick: act("POST", `/sync/rejections/${r.id}/review`, undefined, "Marked as reviewed.") }, "Mark reviewed"),
        ]))
      : h("p", "Nothing rejected."),
    h("h2", `Flagged by a rule: Breathing Space (${flagged.length})`),
    flagged.length
      ? table(["Tenancy", "What", "Rule", "When", "Your note"], flagged.map((f) => [
          f.tenancy_ref,
          f.source === "import" ? `Import: ${f.step} of ${f.step_date} (run ${f.run_id}, line ${f.line})`
            : `${f.entity_type} by ${f.username || "?"}`,
          h("span", h("strong", f.rule), " ", f.message),
          when(f.observed_at || f.created_at),
          reviewNote(f, act),
        ]))
      : h("p", "Nothing flagged."),
  ];
}

// A flagged item's review: the leader's note, then "Mark reviewed".
function reviewNote(item, act) {
  const note = h("input", { type: "text", maxlength: 2000, "aria-label": `Note on flagged item ${item.id}` });
  const button = h("button", { type: "button" }, "Mark reviewed");
  button.addEventListener("click", () => act("POST", `/sync/flagged/${item.id}/review`, { note: note.value }, "Marked as reviewed.")());
  return h("span", note, " ", button);
}
