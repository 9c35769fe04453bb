// The officer app: today's plan, the homes of my patch, and recording visits offline.

import { ApiError, explain, loadConfig } from "../web/api.js";
import { addDays, announce, clock, field, h, londonToday, money, nowWithOffset, titleFrom, when } from "../web/ui.js";
import { drawMap } from "../web/map.js";
import { Engine } from "./sync.js";

const engine = new Engine();
const main = document.getElementById("main");
const pill = document.getElementById("sync-pill");
const live = document.getElementById("live");
let codes = {};
let signedOutNote = "";

// --- start up ------------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  }
  try {
    codes = (await loadConfig()).codes;
  } catch {
    codes = {};
  }
  await engine.load();
  engine.addEventListener("change", () => {
    updatePill();
    refresh();
  });
  engine.addEventListener("signedout", (event) => {
    signedOutNote = event.detail.revoked
      ? "This device was signed out by your team leader, and its data was removed from it."
      : event.detail.passwordChanged
        ? "Your password was changed, so this device was signed out. Sign in again: nothing you recorded is lost."
        : "Your sign-in has expired. Sign in again: nothing you recorded is lost.";
    location.hash = "#login";
    render();
  });
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => engine.soon(0));
  setInterval(() => engine.tick(), 60_000);
  pill.addEventListener("click", () => (location.hash = "#sync"));
  document.getElementById("tabs").addEventListener("click", (event) => {
    const target = event.target.closest("button[data-view]");
    if (target) location.hash = target.dataset.view;
  });
  render();
  if (engine.session?.token) engine.sync();
}

const label = (list, code) => codes[list]?.[code] || code;

function updatePill() {
  const s = engine.status();
  const waiting = s.waiting.length
    ? `${s.waiting.length} waiting`
    : s.photosWaiting ? `${s.photosWaiting} photo(s) waiting` : "";
  let text, state;
  if (!engine.session) [text, state] = ["Signed out", "idle"];
  else if (s.state === "syncing") [text, state] = ["Syncing…", "syncing"];
  else if (s.rejected.length) [text, state] = [`${s.rejected.length} rejected`, "rejected"];
  else if (s.state === "offline") [text, state] = [`Offline · ${waiting || "0 waiting"}`, "offline"];
  else if (s.state === "error") [text, state] = [`Sync failed${waiting ? ` · ${waiting}` : ""}`, "rejected"];
  else if (waiting) [text, state] = [waiting, "waiting"];
  else [text, state] = [`Synced ${s.lastSync ? clock(s.lastSync) : "–"}`, "synced"];
  if (pill.textContent !== text && state !== "syncing") live.textContent = `Sync: ${text}`;
  pill.textContent = text;
  pill.dataset.state = state;
  pill.setAttribute("aria-label", `Sync status: ${text}. Open the sync details.`);
}

// --- views ---------------------------------------------------------------------------

function view() {
  if (!engine.session?.token) return ["login"];
  const [name, arg] = location.hash.replace(/^#/, "").split("/");
  return [name || "today", arg];
}

// Re-draw the current view after a data change, except where the officer is typing.
function refresh() {
  const [name] = view();
  if (name === "home") {
    // Only the information redraws once the forms are there; a home drawn before its
    // records arrived (just signed in, a reload) is drawn whole when they do.
    const info = document.getElementById("home-info");
    if (info && document.getElementById("lone-working")) {
      info.replaceWith(homeInfo(view()[1]));
      return;
    }
  }
  if (name === "login" || name === "homes") return; // the search keeps what was typed
  render(false);
}

function render(navigated = true) {
  const [name, arg] = view();
  updatePill();
  document.getElementById("tabs").hidden = name === "login";
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.toggleAttribute("aria-current", tab.dataset.view === `#${name}`);
    if (tab.dataset.view === `#${name}`) tab.setAttribute("aria-current", "page");
  }
  const screens = { login: loginView, today: todayView, homes: homesView, home: homeView, sync: syncView };
  main.replaceChildren((screens[name] || todayView)(arg));
  titleFrom(main, "Doorstep", navigated && name !== "login");
}

function loginView() {
  const status = h("p.status", { role: "alert" });
  if (signedOutNote) announce(status, signedOutNote, "bad");
  const form = h("form", { "aria-labelledby": "login-title" },
    field("Username", "username", "text", { autocomplete: "username", required: true, autocapitalize: "none" }),
    field("Password", "password", "password", { autocomplete: "current-password", required: true }),
    field("This device's name", "device", "text", {
      value: engine.session?.device?.name || "Officer phone", required: true,
      hint: "Your team leader sees it, and can sign this device out if it is lost.",
    }),
    h("button.primary", { type: "submit" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    announce(status, "Signing in…");
    try {
      await engine.login(data.get("username").trim(), data.get("password"), data.get("device").trim());
      signedOutNote = "";
      announce(status, "Signed in. Downloading your patch…");
      location.hash = "#today";
      render();
      await engine.sync();
    } catch (error) {
      announce(status, error.code === "bad-credentials" ? "Wrong username or password." : explain(error), "bad");
      status.focus?.();
    }
  });
  return h("section", h("h1", { id: "login-title" }, "Sign in to Doorstep"), form);
}

function todayView() {
  const today = londonToday();
  const plan = engine.list("plan").find((p) => p.date === today && p.status !== "superseded");
  const homes = engine.list("property").length;
  const title = new Date().toLocaleDateString("en-GB", {
    weekday: "long", day: "numeric", month: "long", timeZone: "Europe/London",
  });
  const section = h("section", { "aria-labelledby": "today-title" },
    h("h1", { id: "today-title" }, `Today, ${title}`),
    h("p.meta", engine.patchIds.length
      ? `${homes.toLocaleString("en-GB")} homes in patch ${engine.patchIds.join(", ")}`
      : "You hold no patch today."),
  );
  if (!plan) {
    const status = h("p.status", { role: "status" });
    section.append(
      h("p", "There is no plan for today yet."),
      h("div.actions", h("button.primary", {
        onclick: async () => {
          announce(status, "Planning your day…");
          try {
            await engine.planDay(today);
            announce(status, "");
          } catch (error) {
            announce(status, explain(error), "bad");
          }
        },
      }, "Plan my day")),
      status,
    );
    return section;
  }
  const visited = visitedToday();
  section.append(
    drawMap({
      title: `Route for today: ${plan.stops.length} stops`,
      route: [plan.start, ...plan.stops, plan.end].filter(Boolean).map((p) => [p.longitude, p.latitude]),
      points: plan.stops.map((s) => ({
        lon: s.longitude, lat: s.latitude, className: "stop", label: String(s.seq), title: s.address,
      })),
      width: 360, height: 240,
    }),
    h("h2", `${plan.stops.length} visits`),
    h("ol.stops.plain", plan.stops.map((stop) => stopCard(stop, visited))),
  );
  if (plan.left_out?.length) {
    section.append(h("details",
      h("summary", `High-priority homes left out (${plan.left_out.length})`),
      h("ul", plan.left_out.map((l) => h("li", `${l.address || l.uprn}: ${l.text || l.why}`))),
    ));
  }
  return section;
}

function visitedToday() {
  const today = londonToday();
  return new Set(
    engine.list("visit")
      .filter((v) => (v.observed_at || v.arrived_at || "").slice(0, 10) === today)
      .map((v) => String(v.uprn)),
  );
}

function stopCard(stop, visited) {
  const refs = stop.tenancy_refs || [];
  const arrears = refs.reduce((sum, ref) => sum + (engine.one("account", ref)?.balance || 0), 0);
  const warnings = homeWarnings(stop.uprn, stop.markers);
  return h("li.card", { dataset: { uprn: stop.uprn } },
    h("h3", h("a", { href: `#home/${stop.uprn}` }, `${stop.seq}. ${stop.address}`)),
    h("p.meta",
      `Arrive ${clock(stop.arrive_at)} · ${Math.round(stop.on_site_s / 60)} min on site · arrears ${money(arrears)}`,
      stop.appointment ? ` · appointment ${stop.appointment.from}–${stop.appointment.to}` : "",
    ),
    warnings.length || visited.has(String(stop.uprn))
      ? h("ul.tags", visited.has(String(stop.uprn)) ? h("li.tag.ok", "Visited today") : null, warnings)
      : null,
    h("ul.reasons", (stop.reasons || []).map((r) => h("li", r.text))),
  );
}

function markersAt(uprn) {
  return engine.list("marker").filter((m) => String(m.uprn) === String(uprn));
}

function homeWarnings(uprn, planned = []) {
  const codesHere = new Set([...planned, ...markersAt(uprn).map((m) => m.code)]);
  return [...codesHere].map((code) =>
    h(code === "no_lone_visits" ? "li.tag.bad" : "li.tag.warn", label("marker_codes", code)));
}

function homesView() {
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

function homeInfo(uprn) {
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
        account.breathing_space ? h("strong", ` · Breathing Space: no enforcement`) : "") : null,
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

function homeView(uprn) {
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

// Check in before going in; check out after. Only this box redraws, so a half-written
// visit record below is kept.
function loneWorking(uprn) {
  const box = h("div.card", { id: "lone-working" });
  const draw = (message) => {
    const checkin = engine.list("checkin").find((c) => String(c.uprn) === String(uprn) && !c.checked_out_at);
    const status = h("p.status", { role: "status", tabindex: "-1" });
    if (message) announce(status, message, "ok");
    const minutes = field("Expected time inside", "minutes", "select", {
      choices: { 30: "30 minutes", 45: "45 minutes", 60: "1 hour", 90: "1½ hours", 120: "2 hours" },
    });
    minutes.querySelector("select").value = "45";
    box.replaceChildren(...[
      h("h2", "Lone working"),
      checkin
        ? [h("p", `Checked in at ${clock(checkin.checked_in_at)}; expected out by ${clock(checkin.expected_out_at)}.`),
           h("div.actions", h("button.primary", {
             type: "button",
             onclick: () => checkOut(checkin).then(() => draw("Checked out. Stay safe.")),
           }, "Check out"))]
        : [minutes, h("div.actions", h("button.primary", {
            type: "button",
            onclick: () => checkIn(uprn, Number(minutes.querySelector("select").value))
              .then(() => draw("Checked in. Your team leader is alerted if you do not check out in time.")),
          }, "Check in"))],
      status,
    ].flat());
    if (message) status.focus();
  };
  draw("");
  return box;
}

function foldout(id, title, form, open = false) {
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
// the button where the officer is looking. save(formData) queues the record and returns
// what to say; anything it throws is said instead, and nothing is kept.
function recordForm(titleId, saveLabel, controls, save) {
  const status = h("p.status", { role: "alert", tabindex: "-1" });
  const form = h("form", { "aria-labelledby": titleId },
    controls, h("button.primary", { type: "submit" }, saveLabel), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const said = await save(new FormData(form));
      form.reset();
      announce(status, said, "ok");
    } catch (error) {
      announce(status, explain(error), "bad");
    }
    status.focus();
  });
  return form;
}

function visitForm(uprn, tenancies) {
  return recordForm("visit-title", "Save visit", [
    tenancyChoice(tenancies),
    field("How", "channel", "select", { choices: codes.channels || { home_visit: "Visit" } }),
    field("Outcome", "outcome", "select", { choices: choose(codes.visit_outcomes), required: true }),
    field("Who was there", "present", "text", { hint: "Separate people with commas, e.g. tenant, adult son" }),
    checkboxGroup("Offered or done", "offers", codes.offers || {}),
    field("Notes", "notes", "textarea", { maxlength: 4000 }),
    h("fieldset", h("legend", "Promise of payment"),
      field("Promised amount (£)", "promise_amount", "number", { min: 0.01, max: 10000, step: 0.01 }),
      field("Pay by", "promise_date", "date", { min: londonToday(), max: addDays(londonToday(), 366) })),
    h("fieldset", h("legend", "Repayment arrangement"),
      field("Agree a repayment arrangement", "arrangement", "checkbox"),
      field("Arrangement amount (£)", "arr_amount", "number", { min: 0.01, max: 10000, step: 0.01 }),
      field("How often", "arr_frequency", "select", { choices: codes.arrangement_frequencies || {} }),
      field("First payment", "arr_start", "date", {
        value: londonToday(), min: addDays(londonToday(), -30), max: addDays(londonToday(), 91),
      })),
  ], async (d) => {
    const tenancy = d.get("tenancy_ref") || null;
    const payload = clean({
      uprn: Number(uprn), tenancy_ref: tenancy, channel: d.get("channel"), outcome: d.get("outcome"),
      present: splitList(d.get("present")), offers: d.getAll("offers"), notes: d.get("notes") || null,
      promise_amount: d.get("promise_amount") ? Number(d.get("promise_amount")) : null,
      promise_date: d.get("promise_date") || null,
    });
    if (payload.channel === "home_visit") payload.left_at = nowWithOffset();
    // What the server would refuse, said here, before anything is queued.
    if (Boolean(payload.promise_amount) !== Boolean(payload.promise_date)) {
      throw new Error("A promise of payment needs both an amount and a date.");
    }
    if (payload.promise_amount && !tenancy) throw new Error("A promise of payment needs a tenancy.");
    if (d.get("arrangement") && (!tenancy || !d.get("arr_amount") || !d.get("arr_start"))) {
      throw new Error("An arrangement needs a tenancy, an amount and a first payment date.");
    }
    const visitId = await engine.record("visit", "create", payload, { local: payload });
    if (d.get("arrangement")) {
      const arrangement = {
        tenancy_ref: tenancy, amount: Number(d.get("arr_amount")), frequency: d.get("arr_frequency"),
        start_date: d.get("arr_start"), visit_id: visitId,
      };
      await engine.record("arrangement", "create", arrangement, { local: { ...arrangement, status: "live", source: "device" } });
    }
    return "Visit saved on this phone. It will be sent when there is signal.";
  });
}

function repairForm(uprn, tenancies) {
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

function concernForm(uprn, tenancies) {
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

async function checkIn(uprn, minutes) {
  const now = new Date();
  const payload = {
    uprn: Number(uprn), checked_in_at: nowWithOffset(now),
    expected_out_at: nowWithOffset(new Date(now.getTime() + minutes * 60000)),
  };
  await engine.record("checkin", "create", payload, { local: { ...payload, checked_out_at: null } });
}

async function checkOut(checkin) {
  const payload = { checked_out_at: nowWithOffset() };
  const local = { ...checkin, ...payload };
  await engine.record("checkin", "update", payload, { entityId: checkin.id, local });
}

const KINDS = {
  "visit create": "Visit record", "arrangement create": "Repayment arrangement",
  "arrangement update": "Arrangement status", "tenant update": "Contact details",
  "repair create": "Repair referral", "concern create": "Safeguarding concern",
  "marker create": "Warning marker", "checkin create": "Check-in", "checkin update": "Check-out",
};

// The officer's own words in a record, so a rejected one can be written again.
function written(payload = {}) {
  return payload.notes || payload.description || payload.seen || "";
}

function syncView() {
  const s = engine.status();
  const describe = (m) => {
    const p = m.payload || {};
    const home = engine.one("property", p.uprn);
    const where = home ? ` at ${home.address_line_1}` : "";
    const what = KINDS[`${m.entity_type} ${m.op}`] || `${m.entity_type} ${m.op}`;
    return `${what}${where}`;
  };
  const syncNow = h("button.primary", { onclick: () => engine.sync() }, "Sync now");
  return h("section", { "aria-labelledby": "sync-title" },
    h("h1", { id: "sync-title" }, "Sync"),
    h("p.status", { role: "status", "data-tone": s.state === "error" ? "bad" : "info" }, s.message),
    h("p", `Last finished sync: ${when(s.lastSync)}`),
    h("div.actions", syncNow),
    h("h2", `Waiting to send (${s.waiting.length})`),
    s.waiting.length
      ? h("ul", { id: "waiting" }, s.waiting.map((e) => h("li", `${describe(e.mutation)}, recorded ${when(e.mutation.observed_at)}`)))
      : h("p", "Nothing waiting."),
    s.photosWaiting ? h("p", `${s.photosWaiting} photo(s) waiting to upload.`) : null,
    s.photosFailed.map((p) => h("p.status", { "data-tone": "bad" }, `A photo could not be uploaded: ${p.error}`)),
    h("h2", `Rejected (${s.rejected.length})`),
    s.rejected.length
      ? h("ul", { id: "rejected" }, s.rejected.map((e) => h("li",
          `${describe(e.mutation)}, recorded ${when(e.mutation.observed_at)}: ${e.result.reason || e.result.code} `,
          Object.entries(e.result.errors || {}).map(([f, m]) => h("span.meta", `(${f}: ${[].concat(m).join(" ")}) `)),
          written(e.mutation.payload) ? h("blockquote", `What you wrote: ${written(e.mutation.payload)}`) : null,
          h("button", { onclick: () => engine.dismiss(e.mutation.mutation_id) }, "Dismiss"))))
      : h("p", "Nothing rejected. Your team leader reviews anything that is."),
    s.conflicts.length
      ? [h("h2", "Under review"), h("ul", s.conflicts.map((e) => h("li",
          `${describe(e.mutation)}: someone else changed ${(e.result.conflicts || []).map((c) => c.field).join(", ")} first; your value is with your team leader `,
          h("button", { onclick: () => engine.dismiss(e.mutation.mutation_id) }, "Dismiss"))))]
      : null,
    h("h2", "This device"),
    h("p", `Signed in as ${engine.session.user.display_name} on “${engine.session.device.name}”.`),
    h("div.actions", h("button.danger", {
      onclick: async (event) => {
        try {
          await engine.logout();
          location.hash = "#login";
          render();
        } catch (error) {
          event.target.after(h("p.status", { role: "alert", "data-tone": "bad" }, explain(error)));
        }
      },
    }, "Sign out")),
  );
}

// --- helpers -------------------------------------------------------------------------

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

start().catch((error) => {
  main.replaceChildren(h("p.status", { "data-tone": "bad", role: "alert" },
    error instanceof ApiError ? explain(error) : `Doorstep could not start: ${error.message}`));
});
