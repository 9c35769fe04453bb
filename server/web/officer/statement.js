// A tenancy's rent statement of the last 13 weeks, from the phone's `statement` record
// (docs/sync-protocol.md, "The rent statement"), to go through with the tenant at the
// door, offline: week by week, then each transaction with the balance after it. The
// record is column-wise, in pence; everything shown is worked out from it exactly.

import { addDays, dayText, h, londonToday, money } from "../web/ui.js";
import { engine, label } from "./context.js";

const WEEKS = 13;
const pounds = (pence) => money(pence / 100);
// Days in the tables as "14 Sep": the window is 13 weeks, its year is in the heading.
const DAY = { day: "numeric", month: "short" };
const KINDS = {
  opening: "Brought forward", charge: "Rent", payment: "Payment", benefit: "Benefit", adjustment: "Adjustment",
};

// What a transaction was, in words: its type, and how it was paid or credited.
function what(type, method) {
  const kind = KINDS[type] || label("transaction_types", type);
  if (!method) return kind;
  return `${kind}: ${label(type === "benefit" ? "benefit_methods" : "payment_methods", method)}`;
}

// The statement as rows: each transaction with the balance after it, and the weeks with
// what was charged, paid and adjusted in each and the balance at its end.
export function statementRows(s) {
  const t = s.transactions;
  const weeks = Array.from({ length: WEEKS }, (_, w) => ({
    starts: addDays(s.from, 7 * w), charged: 0, paid: 0, adjusted: 0, closing: null,
  }));
  let balance = s.opening_balance_pence;
  const lines = t.day.map((day, i) => {
    const amount = t.amount_pence[i];
    const type = t.type[i];
    balance += amount;
    const week = weeks[Math.min(WEEKS - 1, Math.floor(day / 7))];
    if (type === "charge") week.charged += amount;
    else if (type === "payment" || type === "benefit") week.paid -= amount;
    else if (type === "adjustment") week.adjusted += amount;
    week.closing = balance;
    return { on: addDays(s.from, day), what: what(type, t.method[i]), amount, balance, type };
  });
  let carried = s.opening_balance_pence;
  for (const week of weeks) {
    if (week.closing === null) week.closing = carried;
    carried = week.closing;
  }
  return { lines, weeks };
}

// The statement's foldout for a tenancy, or null when the phone holds none (a tenancy not
// in arrears) or one in a shape this app does not read.
export function statementCard(tenancyRef, account) {
  const s = engine.one("statement", tenancyRef);
  if (!s || s.format !== 2 || !s.transactions) return null;
  const { lines, weeks } = statementRows(s);
  const cell = (text) => h("td.num", text);
  // An "Adjusted" column only when something was adjusted: a phone's screen is narrow.
  const adjusted = weeks.some((w) => w.adjusted);
  const byWeek = h("table.statement",
    h("caption", "Week by week"),
    h("thead", h("tr", ["Week of", "Rent", "Paid", adjusted && "Adjusted", "Balance"]
      .filter(Boolean).map((c) => h("th", c)))),
    h("tbody", weeks.map((w) => h("tr",
      h("td", dayText(w.starts, DAY)), cell(pounds(w.charged)), cell(pounds(w.paid)),
      adjusted ? cell(w.adjusted ? pounds(w.adjusted) : "–") : null, cell(pounds(w.closing))))));
  const each = h("table.statement",
    h("caption", "Each transaction"),
    h("thead", h("tr", ["Date", "What", "Amount", "Balance"].map((c) => h("th", c)))),
    h("tbody", lines.map((l) => h("tr",
      h("td", dayText(l.on, DAY)), h("td", l.what),
      cell(l.type === "opening" ? "" : pounds(l.amount)), cell(pounds(l.balance))))));
  const space = account?.breathing_space;
  const today = londonToday();
  const running = space && space.start_date <= today && (!space.end_date || space.end_date >= today);
  const split = running && space.moratorium_debt !== null && space.moratorium_debt !== undefined
    ? h("p", `In the Breathing Space: ${money(space.moratorium_debt)} of the balance is the frozen moratorium debt, `
      + `${money(space.ongoing_arrears || 0)} ongoing rent that may be asked for.`)
    : null;
  const since = account && Math.round(account.balance * 100) !== s.closing_balance_pence
    ? h("p.meta", `The statement comes to ${pounds(s.closing_balance_pence)} on ${dayText(s.to)}; `
      + `the account says ${money(account.balance)}${account.as_of ? ` on ${dayText(account.as_of)}` : ""}.`)
    : null;
  return h("details.card.statement",
    h("summary", h("h2.inline", `Rent statement: 13 weeks to ${dayText(s.to)}`)),
    h("p", `Brought forward ${pounds(s.opening_balance_pence)} on ${dayText(s.from)}; `
      + `balance ${pounds(s.closing_balance_pence)} on ${dayText(s.to)}.`),
    split, since, byWeek, each);
}
