// The console's absences: record an officer's leave, sickness or training, and cover
// each of their patches. For a patch with days left uncovered the server proposes the
// officer of the nearest patch who is not away (and says why); the leader checks the
// dates and confirms before any cover is made.

import { explain } from "../web/api.js";
import { announce, dayText, field, h, londonToday } from "../web/ui.js";
import { app, call, label, officers, statusLine } from "./common.js";

const span = (from, to) => (from === to ? dayText(from) : `${dayText(from)} to ${dayText(to)}`);

export async function absencesView() {
  const today = londonToday();
  const [absences, staff] = await Promise.all([
    call("GET", `/absences?from=${today}`), officers(),
  ]);
  const status = statusLine();
  return [
    h("h1", "Absences and cover"), status,
    recordForm(staff),
    h("h2", "Current and coming absences"),
    absences.length
      ? h("div.grid", absences.map((a) => absenceCard(a, staff, status)))
      : h("p", "Nobody is recorded away from today on."),
  ];
}

function recordForm(staff) {
  const today = londonToday();
  const mine = h("p.status", { role: "alert", tabindex: "-1" });
  const kinds = app.config.codes.absence_kinds || { annual_leave: "Annual leave" };
  // No days are filled in: one click must not record an absence nobody chose (a day
  // already past may be recorded: sickness is often told the day after).
  const start = field("First day away", "start_date", "date", { required: true });
  const end = field("Last day away (inclusive)", "end_date", "date", { required: true });
  start.querySelector("input").addEventListener("change", (e) => end.querySelector("input").setAttribute("min", e.target.value));
  const form = h("form", { "aria-labelledby": "absence-title" },
    h("h2", { id: "absence-title" }, "Record an absence"),
    field("Officer", "officer_id", "select", { choices: Object.fromEntries(staff.map((u) => [u.id, u.display_name])) }),
    field("Why", "kind", "select", { choices: kinds }),
    start, end,
    field("Note", "note", "text", { maxlength: 500, hint: "Optional: what the team should know." }),
    h("button.primary", { type: "submit" }, "Record the absence"),
    mine);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    try {
      const absence = await call("POST", "/absences", {
        officer_id: Number(d.get("officer_id")), kind: d.get("kind"),
        start_date: d.get("start_date"), end_date: d.get("end_date"), note: d.get("note") || null,
      });
      const open = absence.patches.filter((p) => p.uncovered_days.length).length;
      app.flash = `${absence.officer_name} is away (${label("absence_kinds", absence.kind).toLowerCase()}) ${span(absence.start_date, absence.end_date)}: no plans on those days.`
        + (open ? ` ${open === 1 ? "One patch needs" : `${open} patches need`} cover: see below.` : "");
      app.render();
    } catch (error) {
      announce(mine, explain(error), "bad");
      mine.focus();
    }
  });
  return form;
}

function absenceCard(absence, staff, status) {
  const who = absence.officer_name || absence.officer;
  const cancel = h("button.danger", {
    type: "button", "aria-label": `Cancel ${who}'s absence from ${dayText(absence.start_date)}`,
    onclick: async () => {
      if (!confirm(`Cancel ${who}'s absence, ${span(absence.start_date, absence.end_date)}? They can be planned again on those days.`)) return;
      try {
        await call("DELETE", `/absences/${absence.id}`);
        app.flash = `${who}'s absence is cancelled.`;
        app.render();
      } catch (error) {
        announce(status, explain(error), "bad");
      }
    },
  }, "Cancel absence");
  return h("div.card", { dataset: { absence: absence.id } },
    h("h3", `${who}: ${label("absence_kinds", absence.kind)}`),
    h("p", span(absence.start_date, absence.end_date)),
    absence.note ? h("p.meta", absence.note) : "",
    absence.patches.length
      ? absence.patches.map((p) => patchCover(absence, p, staff))
      : h("p.meta", `${who} holds no patch.`),
    h("div.actions", cancel));
}

function patchCover(absence, patch, staff) {
  const held = patch.covers.map((c) => h("li", `${c.officer_name || c.officer} covers ${patch.name}, ${span(c.start_date, c.end_date)}`));
  const parts = [h("h4", patch.name), held.length ? h("ul", held) : ""];
  if (!patch.uncovered_days.length) {
    parts.push(h("p.meta", { dataset: { covered: patch.patch_id } }, `${patch.name} is covered every day of the absence.`));
    return h("div.cover", ...parts);
  }
  const first = patch.uncovered_days[0];
  const last = patch.uncovered_days.at(-1);
  parts.push(h("p", h("span.tag.bad", "No cover"), ` on ${patch.uncovered_days.length} day${patch.uncovered_days.length === 1 ? "" : "s"}, ${span(first, last)}.`));
  const proposal = patch.proposal;
  if (proposal) {
    parts.push(h("p", { dataset: { proposal: proposal.officer_id } },
      h("strong", `Proposed: ${proposal.officer_name || proposal.officer}`), `. ${proposal.why}`));
  } else {
    parts.push(h("p.meta", "Nobody of the team is free on all of those days: choose an officer below."));
  }
  parts.push(coverForm(absence, patch, staff, proposal, first, last));
  return h("div.cover", ...parts);
}

// Cover asks before it acts: the form opens with the proposal filled in, and nothing is
// arranged until the leader confirms it.
function coverForm(absence, patch, staff, proposal, first, last) {
  const mine = h("p.status", { role: "alert", tabindex: "-1" });
  const others = Object.fromEntries(staff.filter((u) => u.id !== absence.officer_id).map((u) => [u.id, u.display_name]));
  const officer = field("Covering officer", "officer_id", "select", { choices: others });
  if (proposal) officer.querySelector("select").value = proposal.officer_id;
  const form = h("form",
    officer,
    field("From", "start_date", "date", { required: true, value: first, min: first, max: last }),
    field("To (inclusive)", "end_date", "date", { required: true, value: last, min: first, max: last }),
    h("button.primary", { type: "submit" }, `Confirm cover of ${patch.name}`),
    mine);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    const name = others[d.get("officer_id")];
    try {
      await call("POST", `/patches/${patch.patch_id}/covers`, {
        officer_id: Number(d.get("officer_id")), start_date: d.get("start_date"), end_date: d.get("end_date"),
        reason: `${absence.officer_name || absence.officer}: ${label("absence_kinds", absence.kind).toLowerCase()}`,
      });
      app.flash = `${name} covers ${patch.name}, ${span(d.get("start_date"), d.get("end_date"))}: their plans for those days take in its homes.`;
      app.render();
    } catch (error) {
      announce(mine, explain(error), "bad");
      mine.focus();
    }
  });
  const summary = proposal ? `Arrange cover by ${proposal.officer_name || proposal.officer}…` : "Arrange cover…";
  return h("details", h("summary", summary), form);
}
