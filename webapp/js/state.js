// Who is signed in (the profile from GET /v1/account) and where to go next.
import { api } from "./api.js";
import { setLanguage } from "./i18n.js";

export const state = { profile: null, pendingEmail: "" };

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export async function loadProfile() {
  state.profile = await api.get("/v1/account");
  if (state.profile.language) await setLanguage(state.profile.language, false);
  return state.profile;
}

export function isStaff() {
  return Boolean(state.profile && (state.profile.role === "staff" || state.profile.role === "admin"));
}

export function homeRoute() { return isStaff() ? "#/staff/review" : "#/contacts"; }
