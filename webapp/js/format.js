// Money, dates and waits in the person's language.
import { language } from "./i18n.js";

export function money(cents) {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "USD" }).format((cents || 0) / 100);
}

// ``zone`` (a facility's IANA zone, from GET /v1/facilities): the time there, with the zone's
// short name (EST); without one, the browser's own zone.
export function when(iso, zone) {
  if (!iso) return "";
  const date = new Date(iso);
  const text = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short",
                                                   ...(zone ? { timeZone: zone } : {}) }).format(date);
  return zone ? `${text} ${zoneName(date, zone, "short")}` : text;
}

export function locale() { return language() === "es" ? "es-US" : "en-US"; }

// "Eastern Standard Time" (long) or "EST" (short) at ``date``, in the person's language.
export function zoneName(date, zone, style = "long") {
  const parts = new Intl.DateTimeFormat(locale(), { timeZone: zone, timeZoneName: style }).formatToParts(date);
  return parts.find((part) => part.type === "timeZoneName")?.value || zone;
}

// 14:59, or 1:04:09 past an hour: the wait a locked sign-in counts down.
export function wait(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

// A fresh Idempotency-Key: one per thing the person means to do once.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
