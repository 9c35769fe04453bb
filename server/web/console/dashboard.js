// The console's dashboard: the team's week, repairs by hazard class, devices, arrears.

import { allPages, explain } from "../web/api.js";
import { dayText, h, money, when } from "../web/ui.js";
import { app, call, label, table } from "./common.js";

export async function dashboardView() {
  const team = app.session.user.team_id;
  const [board, repairs, devices] = await Promise.all([
    call("GET", `/teams/${team}/dashboard`),
    allPages("/repairs", app.session.token),
    call("GET", "/devices?active_only=true"),
  ]);
  const classes = Object.keys(app.config.codes.hazard_classes || { emergency: 1, significant: 1, routine: 1 });
  const next = (r) => (r.deadlines || []).filter((d) => d.due_at && !d.met_at).sort((a, b) => a.due_at.localeCompare(b.due_at))[0];
  const week = board.officers.map((o) => {
    const sum = (key) => o.days.reduce((s, d) => s + (d[key] || 0), 0);
    const contacts = sum("contacts");
    return [o.display_name, contacts, sum("home_visits"), contacts ? `${Math.round((100 * sum("reached")) / contacts)}%` : "–",
      sum("arrangements"), sum("promises"), sum("concerns")];
  });
  return [
    h("h1", `The team's week: ${day(board.from)} to ${day(board.to)}`),
    table(["Officer", "Contacts", "Home visits", "Contact rate", "Arrangements", "Promises", "Concerns"], week),
    h("h2", "Repairs by hazard class (Awaab's Law)"),
    h("div.grid", classes.map((cls) => {
      const mine = repairs.filter((r) => r.hazard_class === cls && !["completed", "cancelled"].includes(r.status));
      return h("div.card", h("h3", `${label("hazard_classes", cls).split(":")[0]} (${mine.length})`),
        mine.length
          ? h("ul", mine.map((r) => {
              const due = next(r);
              return h("li", `${label("repair_categories", r.category)}, ${r.location} at ${r.address_line_1 ? `${r.address_line_1}, ${r.postcode}` : "a home no longer on record"}: `,
                due ? h(`span.tag.${due.state === "overdue" ? "bad" : "warn"}`, `${due.what} due ${when(due.due_at)}${due.state === "overdue" ? ", overdue" : ""}`) : r.status);
            }))
          : h("p.meta", "None open."));
    })),
    h("h2", "Devices"),
    table(["Officer", "Device", "Signed in", "Last seen", "Last pull", "Last push", "Acknowledged", "Rejected awaiting review", ""],
      devices.filter((d) => d.id !== app.session.device.id).map((d) => [d.username, d.name, when(d.created_at), when(d.last_seen_at),
        when(d.last_pull_at), when(d.last_push_at), d.acknowledged_seq,
        d.rejected_awaiting_review,
        h("button.danger", {
          type: "button", "aria-label": `Revoke ${d.username}'s device “${d.name}”, signed in ${when(d.created_at)}`,
          onclick: async (event) => {
            if (!confirm(`Sign out ${d.name} and wipe its data at its next contact?`)) return;
            await call("POST", `/devices/${d.id}/revoke`, { reason: "Reported lost" }).then(app.render, (e) => (event.target.textContent = explain(e)));
          },
        }, "Revoke (lost phone)")])),
    h("h2", "Arrears trend"),
    ...arrearsTrend(board.arrears),
  ];
}

// One definition of arrears, the map's and the cases' too: what current tenants owe on
// their latest account snapshot. Weeks before the first snapshot are not known.
function arrearsTrend(arrears) {
  const points = arrears?.team || [];
  if (!points.some((p) => p.arrears !== null)) return [h("p", "No arrears figures yet: no rent account snapshot has been imported.")];
  const from = arrears.figures_from;
  const unknown = `No figures: before the first account snapshot${from ? ` (${day(from)})` : ""}`;
  return [
    h("p.meta", "Arrears are what current tenants owe: the balances in arrears on each tenancy's latest rent account snapshot at the end of the week (today, for this week), the figure the map's patch table adds up. Former tenants' arrears (tenancies that have ended) are shown apart."),
    table(["Week ending", "Current tenants' arrears", "Tenancies in arrears", "Former tenants' arrears"], points.map((p) => (p.arrears === null
      ? [day(p.week_ending), unknown, "–", "–"]
      : [day(p.week_ending), money(p.arrears), p.in_arrears, money(p.former_arrears)]))),
  ];
}

const day = (iso) => dayText(iso, { day: "numeric", month: "short", year: "numeric" });
