// The homes of my patch: finding one, and a home's screen (who lives there, what they
// owe, recent contact and repairs, then lone working and the forms to record a visit).

import { dayText, directionsLinks, field, h, londonToday, money, phoneLinks, when } from "../web/ui.js";
import { loneWorking } from "./checkins.js";
import { engine, label, settings } from "./context.js";
import { concernForm, foldout, markerForm, repairForm, visitForm } from "./forms.js";
import { statementCard } from "./statement.js";

// The homes list: arrears, priority and last contact, sorted by a column and filtered.
// What was chosen stays while the app is open.
const listState = { q: "", arrearsOnly: false, action: "", sort: "priority", descending: true };
const SHOWN = 200;
const ACTIONS = { visit: "Visit", call: "Call", letter: "Letter", hold: "Hold", none: "None" };
const COLUMNS = [
  ["address", "Home", (r) => r.address.toLowerCase(), false],
  ["arrears", "Arrears", (r) => r.arrears, true],
  ["priority", "Priority", (r) => r.score ?? -1, true],
  ["contact", "Last contact", (r) => r.contact || "", false],
];

let redraw = () => {};

// New data (a sync): the list redraws; what is typed in the filters stays.
export function refreshHomes() {
  redraw();
}

export function homesView() {
  const input = h("input", {
    id: "search", type: "search", placeholder: "Address or postcode", autocomplete: "off", value: listState.q,
  });
  const arrears = field("Only homes in arrears", "arrears_only", "checkbox", { checked: listState.arrearsOnly });
  const action = field("Priority", "action", "select", { choices: { "": "Any", ...ACTIONS } });
  action.querySelector("select").value = listState.action;
  const table = h("table.homes");
  const count = h("p.meta", { role: "status" });
  const show = () => {
    Object.assign(listState, {
      q: input.value.trim().toLowerCase(), arrearsOnly: arrears.querySelector("input").checked,
      action: action.querySelector("select").value,
    });
    const rows = homeRows().filter((r) => (!listState.q || r.search.includes(listState.q)) &&
      (!listState.arrearsOnly || r.arrears > 0) && (!listState.action || r.action === listState.action));
    const [, , key] = COLUMNS.find((c) => c[0] === listState.sort);
    rows.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return listState.descending ? -order : order;
    });
    count.textContent = rows.length > SHOWN
      ? `Showing ${SHOWN} of ${rows.length} homes: narrow the search to see the rest.`
      : `${rows.length} home${rows.length === 1 ? "" : "s"}`;
    table.replaceChildren(
      h("thead", h("tr", COLUMNS.map(([name, text, , firstDown]) => {
        const sorted = listState.sort === name;
        return h("th", { scope: "col", "aria-sort": sorted ? (listState.descending ? "descending" : "ascending") : null },
          h("button.sort", {
            type: "button", dataset: { sort: name },
            onclick: () => {
              listState.descending = sorted ? !listState.descending : firstDown;
              listState.sort = name;
              show();
            },
          }, text, sorted ? (listState.descending ? " ▼" : " ▲") : ""));
      }))),
      h("tbody", rows.slice(0, SHOWN).map((r) => h("tr", { dataset: { uprn: r.uprn } },
        h("td", h("a.row-link", { href: `#home/${r.uprn}` }, r.address)),
        h("td.num", money(r.arrears)),
        h("td", r.action ? ACTIONS[r.action] || r.action : "–"),
        h("td", r.contact ? when(r.contact) : "None held")))),
    );
    if (!rows.length) table.append(h("tbody", h("tr", h("td", { colspan: 4 },
      engine.list("property").length ? "No homes match." : "No homes held on this phone."))));
  };
  redraw = show;
  input.addEventListener("input", show);
  arrears.addEventListener("change", show);
  action.addEventListener("change", show);
  show();
  return h("section", { "aria-labelledby": "homes-title" }, h("h1", { id: "homes-title" }, "Homes"),
    h("div.filters", h("div.field", h("label", { for: "search" }, "Find a home"), input), arrears, action),
    count, h("div.scroll", table));
}

// One row a home: its arrears (current tenancies), priority (day.js), last contact held.
function homeRows() {
  const today = londonToday();
  const balances = new Map();
  for (const t of engine.list("tenancy")) {
    if (t.start_date > today || (t.end_date && t.end_date < today)) continue;
    const key = String(t.uprn);
    balances.set(key, (balances.get(key) || 0) + (engine.one("account", t.tenancy_ref)?.balance || 0));
  }
  const contact = new Map();
  for (const v of engine.list("visit")) {
    const key = String(v.uprn);
    const at = v.observed_at || "";
    if (at > (contact.get(key) || "")) contact.set(key, at);
  }
  const priorities = engine.day?.priorities || {};
  return engine.list("property").map((p) => {
    const key = String(p.uprn);
    const found = priorities[key] || {};
    const address = `${p.address_line_1}, ${p.postcode}`;
    return {
      uprn: p.uprn, address, search: `${address} ${p.address_line_2 || ""}`.toLowerCase(),
      arrears: balances.get(key) || 0, score: found.score, action: found.action, contact: contact.get(key),
    };
  });
}

function tenanciesAt(uprn) {
  const today = londonToday();
  return engine.list("tenancy")
    .filter((t) => String(t.uprn) === String(uprn) && t.start_date <= today && (!t.end_date || t.end_date >= today));
}

export function homeInfo(uprn) {
  const home = engine.one("property", uprn);
  const box = h("div", { id: "home-info" });
  if (!home) {
    box.append(h("p.status", { "data-tone": "bad" }, "This home is no longer in your patch."));
    return box;
  }
  const tenancies = tenanciesAt(uprn);
  box.append(
    h("h1", home.address_line_1),
    h("p.meta", [home.address_line_2, home.post_town, home.postcode].filter(Boolean).join(", ")),
    h("p.links", directionsLinks(home.latitude, home.longitude, home.address_line_1, settings.directions_url)),
    h("ul.tags", homeWarnings(uprn)),
  );
  for (const marker of markersAt(uprn)) {
    box.append(h("p.meta", `${label("marker_codes", marker.code)}: ${marker.description || ""}`,
      marker.status === "pending" ? " (awaiting approval)" : ""));
  }
  for (const tenancy of tenancies) {
    const account = engine.one("account", tenancy.tenancy_ref);
    const tenants = engine.list("tenant").filter((t) => t.tenancy_ref === tenancy.tenancy_ref);
    box.append(h("div.card",
      h("h2", `Tenancy ${tenancy.tenancy_ref}`),
      h("p", tenants.map((t) => `${t.title || ""} ${t.first_name} ${t.last_name}`.trim()).join(", ")),
      tenants.flatMap((t) => [t.mobile, t.phone].filter(Boolean).map((number) =>
        h("p.phone-line", `${t.first_name}: `, phoneLinks(number, `${t.first_name} ${t.last_name}`)))),
      tenants.filter((t) => t.reasonable_adjustments).map((t) => h("p.meta", `Adjustments: ${t.reasonable_adjustments}`)),
      account ? h("p",
        `Balance ${money(account.balance)} (${account.arrears_weeks ?? 0} weeks) · legal stage ${account.legal_stage}`,
        account.breathing_space ? h("strong", breathingSpaceLine(account.breathing_space)) : "") : null,
    ), statementCard(tenancy.tenancy_ref, account));
  }
  const recent = engine.list("visit").filter((v) => String(v.uprn) === String(uprn))
    .sort((a, b) => (b.observed_at || "").localeCompare(a.observed_at || "")).slice(0, 5);
  if (recent.length) {
    box.append(h("h2", "Recent contact"), h("ul", recent.map((v) =>
      h("li", `${when(v.observed_at)}: ${label("channels", v.channel || "home_visit")}, ${label("visit_outcomes", v.outcome)}`,
        v.notes ? ` — ${v.notes}` : "", engine.isWaiting("visit", v.id) ? " (not sent yet)" : ""))));
  }
  const repairs = engine.list("repair").filter((r) => String(r.uprn) === String(uprn));
  if (repairs.length) {
    box.append(h("h2", "Repairs"), h("ul", repairs.map((r) =>
      h("li", `${label("repair_categories", r.category)} (${label("hazard_classes", r.hazard_class).split(":")[0]}): `,
        engine.isWaiting("repair", r.id) ? "not sent yet" : label("repair_statuses", r.status || "sent")))));
  }
  return box;
}

export function homeView(uprn) {
  const section = h("section", homeInfo(uprn));
  const home = engine.one("property", uprn);
  if (!home) return section;
  const tenancies = tenanciesAt(uprn);
  section.append(
    loneWorking(uprn),
    foldout("visit-title", "Record a visit", visitForm(uprn, tenancies), true),
    foldout("repair-title", "Report a repair", repairForm(uprn, tenancies)),
    foldout("concern-title", "Raise a safeguarding concern", concernForm(uprn, tenancies)),
    foldout("marker-title", "Raise a warning marker", markerForm(uprn, tenancies)),
  );
  return section;
}

function markersAt(uprn) {
  return engine.list("marker").filter((m) => String(m.uprn) === String(uprn));
}

export function homeWarnings(uprn, planned = []) {
  const codesHere = new Set([...planned, ...markersAt(uprn).map((m) => m.code)]);
  return [...codesHere].map((code) =>
    h(code === "no_lone_visits" ? "li.tag.bad" : "li.tag.warn", label("marker_codes", code)));
}

// A Breathing Space on the account: the frozen moratorium debt and, while it runs, the
// ongoing rent that may still be asked for.
function breathingSpaceLine(space) {
  const today = londonToday();
  const running = space.start_date <= today && (!space.end_date || space.end_date >= today);
  if (!running) return "";
  const until = space.end_date ? ` until ${dayText(space.end_date)}` : "";
  const frozen = space.moratorium_debt === null || space.moratorium_debt === undefined
    ? "the arrears are frozen" : `${money(space.moratorium_debt)} frozen`;
  const ongoing = space.ongoing_arrears ? `; ongoing rent ${money(space.ongoing_arrears)} may be asked for` : "";
  return ` · Breathing Space${until}: no enforcement, ${frozen}${ongoing}`;
}
