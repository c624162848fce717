// The app's shell: header, navigation, language switch, and a hash router (links in emails
// point at #/contacts/<id>/messages, #/deposits/<id> and #/visits/<id>).  Each view renders into <main> and
// may return a function that stops its timers when the person leaves it.
import { onSignedOut, resume, signedIn, signOut, api } from "./api.js";
import { h, append } from "./dom.js";
import { language, onLanguageChange, prepare, setLanguage, t } from "./i18n.js";
import { go, homeRoute, isStaff, loadProfile, state } from "./state.js";
import * as auth from "./views/auth.js";

// The sign-in page's module (auth) is loaded with the shell; the others when first needed.
const account = lazy(() => import("./views/account.js"));
const family = lazy(() => import("./views/family.js"));
const staff = lazy(() => import("./views/staff.js"));
const visits = lazy(() => import("./views/visits.js"));
const calls = lazy(() => import("./views/calls.js"));
const support = lazy(() => import("./views/support.js"));

function lazy(load) {
  return new Proxy({}, { get: (_, name) => async (...args) => (await load())[name](...args) });
}

const PUBLIC = "public";
const FAMILY = "family";
const STAFF = "staff";
const ANY = "any";
const ADMIN = "admin";
const ROUTES = [
  [/^#\/signin$/, auth.signIn, PUBLIC],
  [/^#\/signup$/, auth.signUp, PUBLIC],
  [/^#\/verify$/, auth.verify, PUBLIC],
  [/^#\/forgot$/, auth.forgot, PUBLIC],
  [/^#\/help$/, auth.help, PUBLIC],
  [/^#\/enrol$/, auth.enrol, ANY],
  [/^#\/security$/, account.security, ANY],
  [/^#\/activity$/, account.activity, ANY],
  [/^#\/contacts$/, family.contacts, FAMILY],
  [/^#\/contacts\/find$/, family.findInmate, FAMILY],
  [/^#\/contacts\/([^/]+)\/messages$/, family.thread, FAMILY],
  [/^#\/deposits$/, family.deposits, FAMILY],
  [/^#\/deposits\/new$/, family.newDeposit, FAMILY],
  [/^#\/deposits\/([^/]+)$/, family.receipt, FAMILY],
  [/^#\/visits$/, visits.visits, FAMILY],
  [/^#\/visits\/new$/, visits.bookVisit, FAMILY],
  [/^#\/visits\/([^/]+)$/, visits.visit, FAMILY],
  [/^#\/calls$/, calls.calls, FAMILY],
  [/^#\/statements$/, calls.statement, FAMILY],
  [/^#\/support$/, support.support, FAMILY],
  [/^#\/support\/([^/]+)$/, support.ticket, FAMILY],
  [/^#\/data$/, support.yourData, FAMILY],
  [/^#\/deleted$/, support.deleted, PUBLIC],
  [/^#\/staff\/review$/, staff.review, STAFF],
  [/^#\/staff\/contacts$/, staff.contactRequests, STAFF],
  [/^#\/staff\/deposits$/, staff.deposits, STAFF],
  [/^#\/staff\/inmates$/, staff.inmates, STAFF],
  [/^#\/staff\/kiosks$/, staff.kiosks, STAFF],
  [/^#\/staff\/accounts$/, staff.accounts, ADMIN],
  [/^#\/staff\/visits$/, staff.visitsOfDay, STAFF],
  [/^#\/staff\/call-numbers$/, staff.callNumbers, STAFF],
  [/^#\/staff\/support$/, staff.supportQueue, STAFF],
  [/^#\/staff\/support\/([^/]+)$/, staff.supportTicket, STAFF],
];

const main = document.getElementById("view");
const nav = document.getElementById("nav");
const languageSwitch = document.getElementById("language-switch");
let leave = null;
let afterSignIn = null;

function navItems() {
  if (!signedIn() || !state.profile) {
    return [["#/signin", t("nav_signin")], ["#/signup", t("nav_signup")], ["#/help", t("nav_help")]];
  }
  if (isStaff()) {
    return [["#/staff/review", t("nav_review")], ["#/staff/contacts", t("nav_contact_requests")],
            ["#/staff/deposits", t("nav_staff_deposits")], ["#/staff/inmates", t("nav_inmates")],
            ["#/staff/kiosks", t("nav_kiosks")], ["#/staff/visits", t("nav_staff_visits")],
            ["#/staff/call-numbers", t("nav_staff_numbers")], ["#/staff/support", t("nav_staff_support")],
            ...(state.profile.role === "admin" ? [["#/staff/accounts", t("nav_accounts")]] : []),
            ["#/security", t("nav_security")]];
  }
  return [["#/contacts", t("nav_contacts")], ["#/visits", t("nav_visits")], ["#/calls", t("nav_calls")],
          ["#/deposits", t("nav_deposits")], ["#/support", t("nav_support")],
          ["#/security", t("nav_security")], ["#/activity", t("nav_activity")], ["#/help", t("nav_help")]];
}

function drawShell() {
  document.documentElement.lang = language();
  document.getElementById("skip-link").textContent = t("skip_to_content");
  document.getElementById("brand").setAttribute("aria-label", t("brand_home"));
  nav.setAttribute("aria-label", t("nav_label"));
  nav.textContent = "";
  const list = h("ul");
  const current = location.hash.split("?")[0];
  for (const [href, text] of navItems()) {
    const active = current === href || (href !== "#/contacts" && current.startsWith(href + "/"))
      || (href === "#/contacts" && current.startsWith("#/contacts/"));
    list.append(h("li", null, h("a", { href, "aria-current": active ? "page" : null }, text)));
  }
  if (signedIn()) {
    list.append(h("li", null, h("button", { type: "button", class: "link-button", onclick: async () => {
      await signOut();
    } }, t("sign_out"))));
  }
  nav.append(list);
  languageSwitch.textContent = "";
  const other = language() === "es" ? "en" : "es";
  append(languageSwitch, [h("button", {
    type: "button", lang: other, class: "link-button",
    onclick: () => switchLanguage(other),
  }, other === "es" ? "Español" : "English")]);
}

// Saved first, then shown: the API answers a signed-in account in its saved language, so a page
// redrawn before the save would fetch its API words (reasons, details) in the old one.
async function switchLanguage(code) {
  if (signedIn() && state.profile) {
    try { state.profile = await api.patch("/v1/account", { language: code }); } catch { /* UI still switches */ }
  }
  await setLanguage(code, true);
}

export function signedInNow(destination) {
  afterSignIn = destination;
}

// Each navigation draws into a fresh container; a slower, older one (its module or profile
// still loading) finds itself detached and superseded, so two pages never mix.
let generation = 0;

async function route() {
  const mine = ++generation;
  if (leave) { try { leave(); } catch { /* a view's cleanup must not stop navigation */ } leave = null; }
  const hash = location.hash || "";
  const match = ROUTES.map(([pattern, view, access]) => [pattern.exec(hash.split("?")[0]), view, access])
    .find(([found]) => found);
  if (!match) { go(signedIn() && state.profile ? homeRoute() : "#/signin"); return; }
  const [found, view, access] = match;
  if (access !== PUBLIC && !signedIn()) {
    afterSignIn = hash;
    go("#/signin");
    return;
  }
  if (signedIn() && !state.profile && access !== PUBLIC) {
    try { await loadProfile(); } catch { /* the view will show its own error */ }
    if (mine !== generation) return;
  }
  if ((access === STAFF || access === ADMIN) && !isStaff()) { go("#/contacts"); return; }
  if (access === ADMIN && state.profile?.role !== "admin") { go("#/staff/review"); return; }
  if (access === FAMILY && isStaff()) { go("#/staff/review"); return; }
  if (access === PUBLIC && signedIn() && state.profile && hash !== "#/help") { go(homeRoute()); return; }
  drawShell();
  const container = h("div", { class: "view" });
  main.replaceChildren(container);
  main.removeAttribute("aria-busy");
  const params = new URLSearchParams(hash.split("?")[1] || "");
  const cleanup = (await view(container, { args: found.slice(1), params, next: () => takeNext() })) || null;
  if (mine !== generation) { if (cleanup) cleanup(); return; }
  leave = cleanup;
  const title = main.querySelector("h1");
  document.title = title ? `${title.textContent} · Kinlink` : "Kinlink";
  if (title) title.focus({ preventScroll: false });
}

function takeNext() {
  const next = afterSignIn;
  afterSignIn = null;
  return next && !next.startsWith("#/signin") ? next : homeRoute();
}

onSignedOut(() => {
  state.profile = null;
  go("#/signin");
});
onLanguageChange(() => { route(); });
window.addEventListener("hashchange", route);

(async () => {
  await prepare();
  await resume();
  if (signedIn()) { try { await loadProfile(); } catch { /* shown by the view */ } }
  route();
})();
