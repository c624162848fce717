// Building the page with the DOM (elements and text nodes, never HTML strings): small helpers the views share.
import { t } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let serial = 0;
export function uid(prefix) { serial += 1; return `${prefix}-${serial}`; }

// A labelled field with its hint and its own error line (aria-describedby ties them).
export function field({ label, name, type = "text", hint, autocomplete, required = true,
                        value, inputmode, maxlength, minlength, pattern, options, rows, min, max, step }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const attrs = { id, name, autocomplete, required, inputmode, maxlength, minlength, pattern,
                  "aria-describedby": [hintId, errorId].filter(Boolean).join(" "), min, max, step };
  let input;
  if (options) {
    input = h("select", attrs, options.map(([v, text]) => h("option", { value: v }, text)));
    if (value !== undefined) input.value = value;
  } else if (type === "textarea") {
    input = h("textarea", { ...attrs, rows: rows || 5 });
    if (value !== undefined) input.value = value;
  } else {
    input = h("input", { ...attrs, type, value });
  }
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const wrapper = h("div", { class: "field" }, h("label", { for: id }, label), input,
                    hint ? h("p", { id: hintId, class: "hint" }, hint) : null, error);
  wrapper.input = input;
  wrapper.setError = (text) => {
    error.textContent = text || "";
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  };
  return wrapper;
}

// "Show password" for one or more password fields.
export function showPasswordToggle(...inputs) {
  const id = uid("show-password");
  const box = h("input", { type: "checkbox", id, "aria-controls": inputs.map((i) => i.id).join(" ") });
  box.addEventListener("change", () => { for (const i of inputs) i.type = box.checked ? "text" : "password"; });
  return h("div", { class: "check" }, box, h("label", { for: id }, t("show_password")));
}

// A warning shown while Caps Lock is on, while typing in ``input``.
export function capsLockWarning(input) {
  const id = `${input.id}-caps`;
  const note = h("p", { id, class: "caps-warning", hidden: true, role: "status" }, t("caps_lock_on"));
  const check = (event) => {
    if (!event.getModifierState) return;
    note.hidden = !event.getModifierState("CapsLock");
  };
  input.addEventListener("keydown", check);
  input.addEventListener("keyup", check);
  input.addEventListener("blur", () => { note.hidden = true; });
  input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${id}`.trim());
  return note;
}

// The region each form speaks through: errors (the problem's detail), progress, success.
export function statusRegion() {
  const region = h("div", { class: "status", role: "status", "aria-live": "polite" });
  region.say = (text, kind = "info") => {
    region.textContent = "";
    if (!text) return;
    region.append(h("p", { class: kind }, text));
  };
  region.list = (text, items, kind = "error") => {
    region.say(text, kind);
    if (items && items.length) region.append(h("ul", { class: kind }, items.map((i) => h("li", null, i))));
  };
  return region;
}

// Show an API error: the problem's detail (already in the person's language), field errors
// beside their fields, never raw JSON.
export function showError(region, error, fields = {}) {
  const detail = (error && error.detail) || t("failed");
  const extra = [];
  if (error && Array.isArray(error.errors)) {
    for (const item of error.errors) {
      const target = fields[item.field];
      if (target) target.setError(item.problem);
      else if (item.problem) extra.push(item.problem);
    }
  }
  if (error && Array.isArray(error.suggestions)) extra.push(...error.suggestions);
  region.list(detail, extra, "error");
}

// A button that says it is working while ``action`` runs, and cannot be pressed twice.
export async function busy(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try { return await action(); } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// A message's photo part: its thumbnail (a presigned GET on the media bucket) linking to the
// photo itself.
export function photoPart(part) {
  if (!part.thumbnail_url) return null;
  return h("a", { href: part.url, target: "_blank", rel: "noopener", class: "photo" },
           h("img", { src: part.thumbnail_url, alt: t("photo_alt"), width: 160 }));
}

export function loading() { return h("p", { class: "loading", role: "status" }, t("loading")); }
export function empty(text) { return h("p", { class: "empty" }, text); }

export function heading(text) { return h("h1", { tabindex: "-1", id: "page-title" }, text); }

export function link(href, text, attrs = {}) { return h("a", { href, ...attrs }, text); }
