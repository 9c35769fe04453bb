// The console's patches and cover: who holds each patch, and who covers it when. Both ask
// before they act: a change of officer says what each phone gains and loses, and a cover
// is confirmed with its officer, patch and dates (nothing is pre-filled).

import { explain } from "../web/api.js";
import { announce, dayText, field, h, londonToday } from "../web/ui.js";
import { app, call, officers, statusLine } from "./common.js";

export async function patchesView() {
  const [patches, staff] = await Promise.all([call("GET", "/patches"), officers()]);
  const choices = Object.fromEntries(staff.map((u) => [u.id, `${u.display_name} (${u.username})`]));
  const status = statusLine();
  const rows = patches.map((p) => {
    const select = field(`Officer for ${p.name}`, `officer-${p.id}`, "select", {
      choices: [["", "No officer"], ...Object.entries(choices)],
    });
    select.querySelector("select").value = p.officer_id ?? "";
    const ask = h("div", { role: "region", "aria-live": "polite", "aria-label": `Confirm the change of ${p.name}'s officer` });
    const save = h("button", {
      type: "button",
      onclick: async () => {
        const value = select.querySelector("select").value;
        if ((value ? Number(value) : null) === (p.officer_id ?? null)) {
          return announce(status, `${p.name} already belongs to ${value ? choices[value] : "no officer"}.`, "ok");
        }
        ask.replaceChildren(await reassignment(p, value ? Number(value) : null, choices, status, ask));
        ask.querySelector("button.primary")?.focus();
      },
    }, `Save ${p.name}`);
    return h("div.card", { dataset: { patch: p.id } },
      h("h2", p.name), h("div.actions", select, save), ask, coverList(p, choices, status));
  });
  return [h("h1", "Patches and cover"), status, ...rows];
}

// What a permanent reassignment does to the phones, counted from the API, and a button to
// go ahead or keep the patch as it is.
async function reassignment(patch, officerId, choices, status, ask) {
  const tenancies = await call("GET", `/patches/${patch.id}/priorities`).then((x) => x.length, () => null);
  const was = patch.officer_id ? choices[patch.officer_id] || patch.officer_name || patch.officer_username : null;
  const now = officerId ? choices[officerId] : null;
  const homes = `${patch.home_count.toLocaleString("en-GB")} homes${tenancies === null ? "" : ` and ${tenancies.toLocaleString("en-GB")} current tenancies`}`;
  const loses = was
    ? `${was}'s phone will remove ${patch.name}'s ${homes}, with every record held for them (accounts, visits, arrangements, promises, repairs and warning markers), at its next sync.`
    : `${patch.name} has no officer now.`;
  const gains = now ? `${now}'s phone will receive them at its next sync.` : "No officer's phone will hold them until the patch is given to someone.";
  const go = h("button.primary", {
    type: "button",
    onclick: async () => {
      try {
        await call("PATCH", `/patches/${patch.id}`, { officer_id: officerId });
        app.flash = `${patch.name} now belongs to ${now || "no officer"}. Phones update at their next sync.`;
        app.render();
      } catch (error) {
        announce(status, explain(error), "bad");
      }
    },
  }, `Yes, give ${patch.name} to ${now || "no officer"}`);
  const keep = h("button", { type: "button", onclick: () => ask.replaceChildren() }, `No, keep ${patch.name} as it is`);
  return h("div.confirm",
    h("h3", `Give ${patch.name} to ${now || "no officer"} for good?`),
    h("p", loses), h("p", gains),
    h("p.meta", "To cover an absence for some days, arrange cover instead: the patch stays with its officer."),
    h("div.actions", go, keep));
}

const longDay = (iso) => dayText(iso, { weekday: "long", day: "numeric", month: "long", year: "numeric" });

function coverList(patch, choices, status) {
  const others = Object.fromEntries(Object.entries(choices).filter(([id]) => Number(id) !== patch.officer_id));
  const mine = h("p.status", { role: "alert", tabindex: "-1" });
  // No dates are filled in: a cover is for the days the leader chooses, never today by default.
  const start = field("From", "start_date", "date", { required: true, min: londonToday() });
  const end = field("To (inclusive)", "end_date", "date", { required: true, min: londonToday() });
  start.querySelector("input").addEventListener("change", (e) => end.querySelector("input").setAttribute("min", e.target.value));
  const ask = h("div", { "aria-live": "polite" });
  const form = h("form",
    h("h3", `Arrange cover for ${patch.name}`),
    field("Covering officer", "officer_id", "select", { choices: [["", "Choose an officer"], ...Object.entries(others)], required: true }),
    start, end,
    field("Reason", "reason", "text", { maxlength: 200 }),
    h("button.primary", { type: "submit" }, "Check this cover"),
    ask, mine);
  form.addEventListener("input", () => ask.replaceChildren()); // a change asks again
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const d = new FormData(form);
    const body = {
      officer_id: Number(d.get("officer_id")), start_date: d.get("start_date"),
      end_date: d.get("end_date"), reason: d.get("reason") || null,
    };
    const who = others[d.get("officer_id")];
    const confirm = h("button.primary", {
      type: "button",
      onclick: async () => {
        try {
          await call("POST", `/patches/${patch.id}/covers`, body);
          app.flash = `Cover arranged for ${patch.name}: ${who}, ${longDay(body.start_date)} to ${longDay(body.end_date)}.`;
          app.render();
        } catch (error) {
          announce(mine, explain(error), "bad");
          mine.focus();
        }
      },
    }, "Confirm cover");
    ask.replaceChildren(h("div.confirm",
      h("p", h("strong", `${who} covers ${patch.name}`), ` from ${longDay(body.start_date)} to ${longDay(body.end_date)}${body.reason ? ` (${body.reason})` : ""}.`),
      h("p.meta", `${who.split(" (")[0]}'s phone receives ${patch.name}'s ${patch.home_count.toLocaleString("en-GB")} homes for those days, and their day plans include them.`),
      h("div.actions", confirm, h("button", { type: "button", onclick: () => ask.replaceChildren() }, "Change"))));
    confirm.focus();
  });
  const covers = patch.covers || [];
  return h("div",
    covers.length
      ? h("ul", covers.map((c) => h("li", `${choices[c.officer_id] || c.officer_username || "An officer"} covers ${longDay(c.start_date)} to ${longDay(c.end_date)}${c.reason ? ` (${c.reason})` : ""} `,
          h("button.danger", {
            type: "button", "aria-label": `Cancel ${c.officer_username}'s cover of ${patch.name} from ${c.start_date}`,
            onclick: () => call("DELETE", `/patches/${patch.id}/covers/${c.id}`).then(() => {
              app.flash = `Cover of ${patch.name} cancelled.`;
              app.render();
            }, (e) => announce(status, explain(e), "bad")),
          }, "Cancel cover"))))
      : h("p.meta", "No cover arranged."),
    h("details", h("summary", "Arrange cover"), form));
}
