// The console's patches and cover: who holds each patch, and who covers it when.

import { explain } from "../web/api.js";
import { announce, field, h, londonToday } from "../web/ui.js";
import { app, call, label, officers, statusLine } from "./common.js";

export async function patchesView() {
  const [patches, staff] = await Promise.all([call("GET", "/patches"), officers()]);
  const choices = Object.fromEntries(staff.map((u) => [u.id, `${u.display_name} (${u.username})`]));
  const status = statusLine();
  const rows = patches.map((p) => {
    const select = field(`Officer for ${p.name}`, `officer-${p.id}`, "select", {
      choices: { "": "No officer", ...choices },
    });
    select.querySelector("select").value = p.officer_id ?? "";
    const save = h("button", {
      type: "button",
      onclick: async () => {
        const value = select.querySelector("select").value;
        try {
          await call("PATCH", `/patches/${p.id}`, { officer_id: value ? Number(value) : null });
          announce(status, `${p.name} now belongs to ${value ? choices[value] : "no officer"}. Phones update at their next sync.`, "ok");
        } catch (error) {
          announce(status, explain(error), "bad");
        }
      },
    }, `Save ${p.name}`);
    return h("div.card", { dataset: { patch: p.id } },
      h("h2", p.name), h("div.actions", select, save), coverList(p, choices, status));
  });
  return [h("h1", "Patches and cover"), status, ...rows];
}

function coverList(patch, choices, status) {
  const others = Object.fromEntries(Object.entries(choices).filter(([id]) => Number(id) !== patch.officer_id));
  const mine = h("p.status", { role: "alert", tabindex: "-1" });
  const start = field("From", "start_date", "date", { required: true, value: londonToday(), min: londonToday() });
  const end = field("To (inclusive)", "end_date", "date", { required: true, value: londonToday(), min: londonToday() });
  start.querySelector("input").addEventListener("change", (e) => end.querySelector("input").setAttribute("min", e.target.value));
  const form = h("form",
    h("h3", `Arrange cover for ${patch.name}`),
    field("Covering officer", "officer_id", "select", { choices: others }),
    start, end,
    field("Reason", "reason", "text", { maxlength: 200 }),
    h("button.primary", { type: "submit" }, "Arrange cover"),
    mine);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const d = new FormData(form);
    try {
      await call("POST", `/patches/${patch.id}/covers`, {
        officer_id: Number(d.get("officer_id")), start_date: d.get("start_date"),
        end_date: d.get("end_date"), reason: d.get("reason") || null,
      });
      app.flash = `Cover arranged for ${patch.name}: ${others[d.get("officer_id")]}, ${d.get("start_date")} to ${d.get("end_date")}.`;
      app.render();
    } catch (error) {
      announce(mine, explain(error), "bad");
      mine.focus();
    }
  });
  const covers = patch.covers || [];
  return h("div",
    covers.length
      ? h("ul", covers.map((c) => h("li", `${c.officer_username || c.officer_id} covers ${c.start_date} to ${c.end_date}${c.reason ? ` (${c.reason})` : ""} `,
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
