// The app's own words in English and Spanish (the API's words, problem details included, come
// already translated: every request carries Accept-Language).  English is always loaded (and
// is the fallback); Spanish is fetched when chosen.  The choice is remembered on this device
// and, once signed in, saved to the account (PATCH /v1/account).
import { EN } from "./words/en.js";

const KEY = "kinlink.language";
const tables = { en: EN, es: null };
const listeners = [];
let current = initial();

function initial() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { saved = null; }
  if (saved === "en" || saved === "es") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
}

export function language() { return current; }

// The words of ``code`` loaded (before the first page is drawn in it).
export async function prepare(code = current) {
  if (code === "es" && !tables.es) tables.es = (await import("./words/es.js")).ES;
}

export async function setLanguage(code, notify = true) {
  if (code !== "en" && code !== "es") return;
  await prepare(code);
  const changed = code !== current;
  current = code;
  try { localStorage.setItem(KEY, code); } catch { /* not remembered */ }
  document.documentElement.lang = code;
  if (changed && notify) for (const listener of listeners) listener(code);
}

export function onLanguageChange(listener) { listeners.push(listener); }

// ``t("pay_total", {total: "$27.95"})``: the sentence in the current language, ``{name}`` filled.
export function t(key, values = {}) {
  const text = (tables[current] && tables[current][key]) ?? EN[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
