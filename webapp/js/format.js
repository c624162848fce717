// Money, dates and waits in the person's language.
import { language } from "./i18n.js";

export function money(cents) {
  return new Intl.NumberFormat(language() === "es" ? "es-US" : "en-US",
                               { style: "currency", currency: "USD" }).format((cents || 0) / 100);
}

export function when(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language() === "es" ? "es-US" : "en-US",
                                 { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
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
