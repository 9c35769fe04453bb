// Input sense: what a form checks before anything is queued, beyond what the server
// refuses. A photo that is not one is refused at once, by its bytes; a promise above the
// balance, or an arrangement too slow to clear the arrears, is allowed once confirmed.

import { money } from "../web/ui.js";

// An arrangement that would take longer than this to clear the arrears is queried (the
// officer may still record it, once confirmed). docs/web.md, "Input sense".
export const ARRANGEMENT_HORIZON_WEEKS = 104; // two years

const WEEKS = { weekly: 1, fortnightly: 2, four_weekly: 4, monthly: 52 / 12 };

// A form error that names its field: the form marks and focuses that control.
export class FieldError extends Error {
  constructor(name, message) {
    super(message);
    this.field = name;
  }
}

// The photo types the server takes (sync/records/blobs.py sniffs the same bytes).
const SIGNATURES = [
  [[0xff, 0xd8, 0xff], 0],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0],
  [[...new TextEncoder().encode("WEBP")], 8],
  [[...new TextEncoder().encode("ftypheic")], 4],
  [[...new TextEncoder().encode("ftypheix")], 4],
  [[...new TextEncoder().encode("ftypmif1")], 4],
];

// Refuse, naming the file, anything that is not a JPEG, PNG, WebP or HEIC photo.
export async function checkPhoto(file, fieldName = "photo") {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const matches = SIGNATURES.some(([bytes, at]) => bytes.every((b, i) => head[at + i] === b));
  if (!matches || (file.type && !file.type.startsWith("image/"))) {
    throw new FieldError(fieldName,
      `“${file.name}” is not a photo: choose or take a JPEG, PNG, WebP or HEIC picture. Nothing was saved.`);
  }
}

// What a visit's promise or arrangement asks that looks wrong against the balance, in
// words (to confirm); [] when nothing.
export function doubts(balance, { promise, arrangement }) {
  const found = [];
  if (balance === null || balance === undefined) return found;
  if (promise && promise > balance + 0.005) {
    found.push(`The promise of ${money(promise)} is more than the balance owed (${money(balance)}).`);
  }
  if (arrangement?.amount > 0 && balance > 0) {
    const weeks = (balance / arrangement.amount) * (WEEKS[arrangement.frequency] || 1);
    if (weeks > ARRANGEMENT_HORIZON_WEEKS) {
      found.push(`At ${money(arrangement.amount)} ${label(arrangement.frequency)}, the arrears of ` +
        `${money(balance)} would take ${years(weeks)} to clear, longer than ` +
        `${years(ARRANGEMENT_HORIZON_WEEKS)}.`);
    }
  }
  return found;
}

function label(frequency) {
  return { weekly: "a week", fortnightly: "a fortnight", four_weekly: "every four weeks", monthly: "a month" }[frequency] || "a time";
}

function years(weeks) {
  if (weeks < 104) return `${Math.round(weeks)} weeks`;
  const y = weeks / 52;
  return y >= 100 ? "over 100 years" : `${Math.round(y)} years`;
}
