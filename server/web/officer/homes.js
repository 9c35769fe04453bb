// The homes of my patch: finding one, and a home's screen (who lives there, what they
// owe, recent contact and repairs, then lone working and the forms to record a visit).

import { h, londonToday, money, when } from "../web/ui.js";
import { loneWorking } from "./checkins.js";
import { engine, label } from "./context.js";
import { concernForm, foldout, repairForm, visitForm } from "./forms.js";

export function homesView() {
  const input = h("input", { id: "search", type: "search", placeholder: "Address or postcode", autocomplete: "off" });
  const results = h("ul.plain", { "aria-live": "polite" });
  const show = () => {
    const q = input.value.trim().toLowerCase();
    const homes = engine.list("property")
      .filter((p) => !q || `${p.address_line_1} ${p.address_line_2 || ""} ${p.postcode}`.toLowerCase().includes(q))
      .slice(0, 30);
    results.replaceChildren(...homes.map((p) =>
      h("li.card", h("a", { href: `#home/${p.uprn}` }, `${p.address_line_1}, ${p.postcode}`))));
    if (!homes.length) results.append(h("li", q ? "No homes match." : "No homes held on this phone."));
  };
  input.addEventListener("input", show);
  show();
  return h("section", h("h1", "Homes"), h("div.field", h("label", { for: "search" }, "Find a home"), input), results);
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
      tenants.filter((t) => t.mobile || t.phone).map((t) => h("p.meta", `${t.first_name}: ${t.mobile || t.phone}`)),
      tenants.filter((t) => t.reasonable_adjustments).map((t) => h("p.meta", `Adjustments: ${t.reasonable_adjustments}`)),
      account ? h("p",
        `Balance ${money(account.balance)} (${account.arrears_weeks ?? 0} weeks) · legal stage ${account.legal_stage}`,
        account.breathing_space ? h("strong", breathingSpaceLine(account.breathing_space)) : "") : null,
    ));
  }
  const recent = engine.list("visit").filter((v) => String(v.uprn) === String(uprn))
    .sort((a, b) => (b.observed_at || "").localeCompare(a.observed_at || "")).slice(0, 5);
  if (recent.length) {
    box.append(h("h2", "Recent contact"), h("ul", recent.map((v) =>
      h("li", `${when(v.observed_at)}: ${label("channels", v.channel || "home_visit")}, ${label("visit_outcomes", v.outcome)}`,
        v.notes ? ` — ${v.notes}` : "", engine.isLocal("visit", v.id) ? " (not sent yet)" : ""))));
  }
  const repairs = engine.list("repair").filter((r) => String(r.uprn) === String(uprn));
  if (repairs.length) {
    box.append(h("h2", "Repairs"), h("ul", repairs.map((r) =>
      h("li", `${label("repair_categories", r.category)} (${r.hazard_class}): ${r.status || "not sent yet"}`))));
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
  const until = space.end_date ? ` until ${space.end_date}` : "";
  const frozen = space.moratorium_debt === null || space.moratorium_debt === undefined
    ? "the arrears are frozen" : `${money(space.moratorium_debt)} frozen`;
  const ongoing = space.ongoing_arrears ? `; ongoing rent ${money(space.ongoing_arrears)} may be asked for` : "";
  return ` · Breathing Space${until}: no enforcement, ${frozen}${ongoing}`;
}
