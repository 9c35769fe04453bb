// Lone working on a home's screen, and the check-in and check-out it records.

import { announce, clock, field, h, nowWithOffset } from "../web/ui.js";
import { engine } from "./context.js";

// Check in before going in; check out after. Only this box redraws, so a half-written
// visit record below is kept.
export function loneWorking(uprn) {
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
