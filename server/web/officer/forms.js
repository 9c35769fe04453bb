// The forms that record something at a home: a visit (with a promise of payment or an
// arrangement), a repair with a photo, a safeguarding concern. Each checks first what
// the server would refuse, naming the field, and queues the record on the phone; and
// asks, before it is saved, about a visit asking for a Breathing Space's frozen debt, a
// promise above the balance or an arrangement too slow to clear it (sense.js).

import { explain } from "../web/api.js";
import { addDays, announce, field, h, londonToday, money, nowWithOffset } from "../web/ui.js";
import { codes, engine } from "./context.js";
import { checkPhoto, doubts, FieldError } from "./sense.js";

export function foldout(id, title, form, open = false) {
  return h("details.card", { open }, h("summary", h("h2.inline", { id }, title)), form);
}

function tenancyChoice(tenancies) {
  const choices = Object.fromEntries(tenancies.map((t) => [t.tenancy_ref, t.tenancy_ref]));
  return tenancies.length ? field("Tenancy", "tenancy_ref", "select", { choices }) : null;
}

function checkboxGroup(legend, name, choices) {
  return h("fieldset", h("legend", legend), Object.entries(choices).map(([value, text]) =>
    field(text, name, "checkbox", { value })));
}

// A form that records something: its controls, a Save button, and a status line beside
// the button where the officer is looking. save(formData, form) queues the record and
// returns what to say; anything it throws is said instead, and nothing is kept. A
// FieldError marks its control and moves the focus there.
function recordForm(titleId, saveLabel, controls, save) {
  const status = h("p.status", { role: "alert", tabindex: "-1" });
  const form = h("form", { "aria-labelledby": titleId },
    controls, h("button.primary", { type: "submit" }, saveLabel), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
    let focus = status;
    try {
      const said = await save(new FormData(form), form);
      form.reset();
      delete form.dataset.confirmed;
      announce(status, said, "ok");
    } catch (error) {
      announce(status, explain(error), "bad");
      const control = error instanceof FieldError && form.elements.namedItem(error.field);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        focus = control;
      }
    }
    focus.focus();
  });
  return form;
}

// Said once before saving; the same Save again records it (the officer confirmed).
function confirmOnce(form, warning) {
  if (!warning || form.dataset.confirmed === warning) return;
  form.dataset.confirmed = warning;
  throw new Error(warning);
}

const OFFERS_BUT_ARRANGEMENT = () =>
  Object.fromEntries(Object.entries(codes.offers || {}).filter(([k]) => k !== "arrangement"));

export function visitForm(uprn, tenancies) {
  return recordForm("visit-title", "Save visit", [
    tenancyChoice(tenancies),
    field("How", "channel", "select", { choices: codes.channels || { home_visit: "Visit" } }),
    field("Outcome", "outcome", "select", { choices: choose(codes.visit_outcomes), required: true }),
    field("Who was there", "present", "text", { hint: "Separate people with commas, e.g. tenant, adult son" }),
    checkboxGroup("Offered or done", "offers", OFFERS_BUT_ARRANGEMENT()),
    field("Notes", "notes", "textarea", { maxlength: 4000 }),
    h("fieldset", h("legend", "Promise of payment"),
      field("Promised amount (£)", "promise_amount", "number", { min: 0.01, max: 10000, step: 0.01 }),
      field("Pay by", "promise_date", "date", { min: londonToday(), max: addDays(londonToday(), 366) })),
    h("fieldset", h("legend", "Repayment arrangement"),
      field(codes.offers?.arrangement || "Repayment arrangement offered or agreed", "offers", "checkbox", {
        value: "arrangement", hint: "Agreed: give its amount below, and it is recorded as a live arrangement.",
      }),
      field("Arrangement amount (£)", "arr_amount", "number", { min: 0.01, max: 10000, step: 0.01 }),
      field("How often", "arr_frequency", "select", { choices: codes.arrangement_frequencies || {} }),
      field("First payment", "arr_start", "date", {
        value: londonToday(), min: addDays(londonToday(), -30), max: addDays(londonToday(), 91),
      })),
  ], async (d, form) => {
    const tenancy = d.get("tenancy_ref") || null;
    const agreed = Boolean(d.get("arr_amount"));
    const offers = d.getAll("offers");
    if (agreed && !offers.includes("arrangement")) offers.push("arrangement");
    const payload = clean({
      uprn: Number(uprn), tenancy_ref: tenancy, channel: d.get("channel"), outcome: d.get("outcome"),
      present: splitList(d.get("present")), offers, notes: d.get("notes") || null,
      promise_amount: d.get("promise_amount") ? Number(d.get("promise_amount")) : null,
      promise_date: d.get("promise_date") || null,
    });
    if (payload.channel === "home_visit") payload.left_at = nowWithOffset();
    // What the server would refuse, said here, naming the field, before anything is queued.
    if (payload.promise_amount && !payload.promise_date) {
      throw new FieldError("promise_date", "Pay by: a promise of payment needs the date it will be paid by.");
    }
    if (payload.promise_date && !payload.promise_amount) {
      throw new FieldError("promise_amount", "Promised amount: a promise of payment needs an amount.");
    }
    if ((payload.promise_amount || agreed) && !tenancy) {
      throw new FieldError("tenancy_ref", "Tenancy: a promise or an arrangement needs a tenancy.");
    }
    if (agreed && !d.get("arr_start")) {
      throw new FieldError("arr_start", "First payment: an arrangement needs the date of its first payment.");
    }
    const arrangement = agreed ? {
      tenancy_ref: tenancy, amount: Number(d.get("arr_amount")), frequency: d.get("arr_frequency"),
      start_date: d.get("arr_start"),
    } : null;
    // Said before anything is queued, all at once; a second Save records it anyway. A
    // Breathing Space's frozen debt (the server keeps the visit, flagged for the team
    // leader); a promise above the balance, an arrangement that would take years.
    const refs = tenancy ? [tenancy] : tenancies.map((t) => t.tenancy_ref);
    const frozen = frozenAsk(refs, {
      promise: payload.promise_amount || 0,
      arrangement: offers.includes("arrangement"),
      asks: asksForArrears(payload.notes),
    });
    const doubt = tenancy ? doubts(engine.one("account", tenancy)?.balance, {
      promise: payload.promise_amount, arrangement,
    }) : [];
    const sure = doubt.length ? `${doubt.join(" ")} Check with the tenant, then save again to record it as it is.` : null;
    confirmOnce(form, [frozen, sure].filter(Boolean).join(" ") || null);
    const visitId = await engine.record("visit", "create", payload, { local: payload });
    if (arrangement) {
      arrangement.visit_id = visitId;
      await engine.record("arrangement", "create", arrangement, { local: { ...arrangement, status: "live", source: "device" } });
    }
    return "Visit saved on this phone. It will be sent when there is signal.";
  });
}

export function repairForm(uprn, tenancies) {
  return recordForm("repair-title", "Save repair", [
    h("p.hint", "Health and safety first: damp and mould, gas, electrics and fire safety go straight to maintenance."),
    tenancyChoice(tenancies),
    field("What", "category", "select", { choices: choose(codes.repair_categories), required: true }),
    field("How serious", "hazard_class", "select", { choices: choose(codes.hazard_classes), required: true }),
    field("Where in the home", "location", "text", { required: true, maxlength: 200 }),
    field("What you saw", "description", "textarea", { required: true, maxlength: 4000 }),
    field("Photo", "photo", "file", { accept: "image/*", capture: "environment" }),
  ], async (d) => {
    const photo = d.get("photo");
    if (photo && photo.size) await checkPhoto(photo);
    const photos = photo && photo.size ? [await engine.addPhoto(photo)] : [];
    const payload = clean({
      uprn: Number(uprn), tenancy_ref: d.get("tenancy_ref") || null, category: d.get("category"),
      hazard_class: d.get("hazard_class"), location: d.get("location"), description: d.get("description"),
      photos,
    });
    await engine.record("repair", "create", payload, { local: payload });
    return "Repair saved. It goes to maintenance when the phone syncs.";
  });
}

export function concernForm(uprn, tenancies) {
  return recordForm("concern-title", "Save concern", [
    h("p.hint", "If someone is in immediate danger, call 999 first."),
    tenancyChoice(tenancies),
    field("Category", "category", "select", { choices: choose(codes.concern_categories), required: true }),
    field("Who it is about", "subjects", "text", { required: true, hint: "Separate people with commas" }),
    field("Someone is in immediate danger", "immediate_danger", "checkbox"),
    field("What you saw or heard", "seen", "textarea", { required: true, maxlength: 4000 }),
    field("Referred to (optional)", "referred_to", "text", { maxlength: 200 }),
  ], async (d) => {
    const payload = clean({
      uprn: Number(uprn), tenancy_ref: d.get("tenancy_ref") || null, category: d.get("category"),
      subjects: splitList(d.get("subjects")), immediate_danger: d.get("immediate_danger") === "on",
      seen: d.get("seen"), referred_to: d.get("referred_to") || null,
    });
    await engine.record("concern", "create", payload, { local: payload });
    return "Concern saved. Only you, your team leader and the safeguarding leads will see it.";
  });
}

// A warning marker raised in the field: a risk to anyone visiting. It waits for the team
// leader's approval before it reaches the team (the phone shows it "awaiting approval").
export function markerForm(uprn, tenancies) {
  const about = { "": "The home (whoever lives there)", ...Object.fromEntries(tenancies.map((t) => [t.tenancy_ref, `A person on ${t.tenancy_ref}`])) };
  return recordForm("marker-title", "Save marker", [
    h("p.hint", "A risk to anyone who visits. Your team leader approves it before the team sees it."),
    field("Type", "code", "select", { choices: choose(codes.marker_codes), required: true }),
    field("About", "tenancy_ref", "select", { choices: about }),
    field("The risk, for whoever visits next", "description", "textarea", { required: true, maxlength: 500 }),
    field("What happened", "source_incident", "textarea", { required: true, maxlength: 1000 }),
    field("Review by", "review_date", "date", {
      required: true, value: addDays(londonToday(), 90), min: addDays(londonToday(), 1), max: addDays(londonToday(), 365),
    }),
  ], async (d) => {
    const payload = clean({
      uprn: Number(uprn), tenancy_ref: d.get("tenancy_ref") || null, code: d.get("code"),
      description: d.get("description"), source_incident: d.get("source_incident"), review_date: d.get("review_date"),
    });
    await engine.record("marker", "create", payload, { local: { ...payload, status: "pending" } });
    return "Marker saved. Your team leader approves it before the team sees it.";
  });
}

// Notes that ask for payment of arrears, as the server reads them
// (sync/records/breathing.py): an ask, then the arrears or debt; or a payment of them.
const ASKS = new RegExp(
  "\\b(ask|asked|asking|request|requested|requesting|demand|demanded|demanding|chase|" +
  "chased|chasing|press|pressed|pressing|urge|urged)\\b[^.;!?]{0,60}?" +
  "\\b(arrears|debt|debts|owed|owing|outstanding|balance)\\b" +
  "|\\b(pay|payment|payments|repay|repayment|clear|pay off)\\b[^.;!?]{0,20}?" +
  "\\b(of|off|towards?|the|on)\\b[^.;!?]{0,15}?\\b(arrears|debt)\\b", "i");

function asksForArrears(notes) {
  return Boolean(notes && ASKS.test(notes));
}

// The Breathing Space running today for a tenancy, from the phone's account record.
function breathingSpace(ref) {
  const account = engine.one("account", ref);
  const space = account && account.breathing_space;
  const today = londonToday();
  if (!space || space.start_date > today || (space.end_date && space.end_date < today)) return null;
  return space;
}

// What a visit is about to ask of a tenancy's frozen moratorium debt, in words; null when
// nothing. A promise of no more than the ongoing arrears is for ongoing rent: allowed.
export function frozenAsk(refs, ask) {
  for (const ref of refs) {
    const space = breathingSpace(ref);
    const debt = space && space.moratorium_debt;
    if (!space || (debt !== null && debt !== undefined && debt <= 0)) continue;
    const ongoing = space.ongoing_arrears || 0;
    const what = [];
    if (ask.promise > ongoing + 0.005) what.push(`a promise of more than the ongoing rent owed (${money(ongoing)})`);
    if (ask.arrangement) what.push("a repayment arrangement");
    if (ask.asks) what.push("asking for payment of the arrears");
    if (!what.length) continue;
    const frozen = debt === null || debt === undefined ? "" : ` of ${money(debt)}`;
    return `Breathing Space on tenancy ${ref}: the moratorium debt${frozen} is frozen, and ` +
      `this visit records ${what.join(", ")}. Only ongoing rent (${money(ongoing)}) may be ` +
      "asked for. Save again to record it anyway: it will be flagged for your team leader.";
  }
  return null;
}

// A required choice starts empty: no outcome or hazard class is ever recorded by default.
function choose(choices) {
  return { "": "Choose…", ...(choices || {}) };
}

function splitList(text) {
  return (text || "").split(",").map((s) => s.trim()).filter(Boolean);
}

// Leave out empty optional values, so the payload says only what was recorded.
function clean(payload) {
  return Object.fromEntries(Object.entries(payload).filter(([, v]) =>
    v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0)));
}
