// The app's own words in English and Spanish (the API's words, problem details included, come
// already translated: every request carries Accept-Language).  The choice is remembered on
// this device and, once signed in, saved to the account (PATCH /v1/account).
import { WORDS } from "./words.js";

const KEY = "kinlink.language";
const listeners = [];
let current = initial();

function initial() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { saved = null; }
  if (saved === "en" || saved === "es") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
}

export function language() { return current; }

export function setLanguage(code, notify = true) {
  if (code !== "en" && code !== "es") return;
  const changed = code !== current;
  current = code;
  try { localStorage.setItem(KEY, code); } catch { /* not remembered */ }
  document.documentElement.lang = code;
  if (changed && notify) for (const listener of listeners) listener(code);
}

export function onLanguageChange(listener) { listeners.push(listener); }

// ``t("pay_total", {total: "$27.95"})``: the sentence in the current language, ``{name}`` filled.
export function t(key, values = {}) {
  const text = (WORDS[current] && WORDS[current][key]) ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
