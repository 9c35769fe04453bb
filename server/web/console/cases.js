// The console's Cases view: a patch's tenancies in arrears, highest priority first, each
// linking to its court bundle (the Pre-Action Protocol evidence as a PDF).

import { announce, h, money } from "../web/ui.js";
import { app, call, statusLine, table } from "./common.js";

export async function casesView() {
  const patches = await call("GET", "/patches");
  const chosen = Number(new URLSearchParams(location.hash.split("?")[1] || "").get("patch")) || patches[0]?.id;
  const patch = patches.find((p) => p.id === chosen);
  const picker = h("p", patches.map((p) => h("a", {
    href: `#cases?patch=${p.id}`, "aria-current": p.id === chosen ? "page" : null,
  }, p.name)).flatMap((a, i) => (i ? [" · ", a] : [a])));
  if (!patch) return [h("h1", "Cases"), h("p", "No patches.")];
  const status = statusLine();
  const homes = (await call("GET", `/patches/${patch.id}/priorities`))
    .filter((x) => x.balance > 0).sort((a, b) => b.score - a.score);
  return [
    h("h1", `Cases: ${patch.name}`), picker,
    h("p.meta", `${homes.length} tenancies in arrears, highest priority first. A court bundle is the tenancy's Pre-Action Protocol evidence as a PDF: cover sheet, chronology, rent statement, contact log, arrangements and the protocol checklist.`),
    status,
    table(["Tenancy", "Address", "Balance", "Action", "Court bundle"], homes.map((x) => [
      x.tenancy_ref, x.address, money(x.balance), x.action,
      h("a", {
        href: `/tenancies/${encodeURIComponent(x.tenancy_ref)}/bundle.pdf`,
        onclick: (event) => { event.preventDefault(); openBundle(x.tenancy_ref, status, app.session.token); },
      }, `Court bundle for ${x.tenancy_ref} (PDF)`),
    ])),
  ];
}

// The bundle needs the bearer token, so it is fetched and opened from memory.
async function openBundle(ref, status, token) {
  announce(status, `Preparing the court bundle for ${ref}…`, "ok");
  try {
    const response = await fetch(`/tenancies/${encodeURIComponent(ref)}/bundle.pdf`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/pdf" },
    });
    if (!response.ok) throw new Error(`The bundle could not be made (${response.status}).`);
    const url = URL.createObjectURL(await response.blob());
    window.open(url, "_blank", "noopener");
    announce(status, `The court bundle for ${ref} opened in a new tab.`, "ok");
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    announce(status, error.message, "bad");
  }
}
