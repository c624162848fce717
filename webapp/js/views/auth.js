// Signing in (password, second factor, lockout countdown), signing up, verifying the email,
// the forgotten password, help, and the TOTP enrolment staff must finish first.
import { api, signOut, useTokens } from "../api.js";
import { officialAddress } from "../config.js";
import { busy, capsLockWarning, field, h, heading, link, showError, showPasswordToggle,
         statusRegion } from "../dom.js";
import { language, t } from "../i18n.js";
import { wait } from "../format.js";
import { go, loadProfile, state } from "../state.js";

const DEVICE_KEY = "kinlink.device_token.";

function flashInto(region) {
  if (state.flash) { region.say(state.flash, "success"); state.flash = null; }
}

function phishingWarning() {
  const address = officialAddress();
  return h("aside", { class: "notice", "aria-labelledby": "safety-title" },
    h("h2", { id: "safety-title" }, t("safety_title")),
    h("p", null, t("safety_never_asks")),
    h("p", null, t("safety_only_here"), " ", h("strong", { class: "address" }, address)));
}

// A locked sign-in: the sentence once (role=alert), the wait counted down beside it (role=timer
// is not read out every second), the button back when the wait is over.
function lockout(box, button) {
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; };
  const start = (seconds, code) => {
    stop();
    const until = Date.now() + seconds * 1000;
    const clock = h("span", { role: "timer", class: "countdown" }, wait(seconds));
    box.textContent = "";
    box.hidden = false;
    box.append(h("p", { role: "alert" }, code === "account_locked" ? t("locked_sentence") : t("rate_limited_sentence")),
               h("p", null, t("locked_try_again_in"), " ", clock),
               h("p", null, t("locked_advice"), " ", link("#/forgot", t("forgot_password")), "."));
    button.disabled = true;
    timer = setInterval(() => {
      const left = (until - Date.now()) / 1000;
      if (left <= 0) {
        stop();
        button.disabled = false;
        box.textContent = "";
        box.append(h("p", { role: "status" }, t("locked_over")));
        return;
      }
      clock.textContent = wait(left);
    }, 1000);
  };
  return { start, stop };
}

function deviceToken(email) {
  try { return localStorage.getItem(DEVICE_KEY + email.trim().toLowerCase()) || undefined; } catch { return undefined; }
}

async function finish(tokens, keep, next) {
  useTokens(tokens, keep);
  if (tokens.mfa_enrollment_required) { go("#/enrol"); return; }
  await loadProfile();
  go(next());
}

export function signIn(main, { next }) {
  const status = statusRegion();
  flashInto(status);
  const email = field({ label: t("email"), name: "email", type: "email", autocomplete: "username",
                        value: state.pendingEmail || undefined });
  const password = field({ label: t("password"), name: "password", type: "password",
                           autocomplete: "current-password" });
  password.insertBefore(capsLockWarning(password.input), password.lastChild);
  const keepBox = h("input", { type: "checkbox", id: "keep-signed-in", "aria-describedby": "keep-hint" });
  const button = h("button", { type: "submit", class: "primary" }, t("sign_in"));
  const lockBox = h("div", { class: "lockout", hidden: true });
  const lock = lockout(lockBox, button);
  const form = h("form", { novalidate: true, "aria-labelledby": "page-title" },
    email, password, showPasswordToggle(password.input),
    h("div", { class: "check" }, keepBox, h("label", { for: "keep-signed-in" }, t("keep_signed_in"))),
    h("p", { id: "keep-hint", class: "hint" }, t("keep_signed_in_hint")),
    h("div", { class: "actions" }, button), lockBox, status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    email.setError(""); password.setError("");
    if (!email.input.value.trim()) { email.setError(t("enter_email")); email.input.focus(); return; }
    if (!password.input.value) { password.setError(t("enter_password")); password.input.focus(); return; }
    busy(button, async () => {
      status.say(t("signing_in"));
      try {
        const answer = await api.post("/v1/auth/login", {
          email: email.input.value.trim(), password: password.input.value,
          device_token: deviceToken(email.input.value) }, { auth: false });
        if (answer.mfa_required) {
          lock.stop();
          secondFactor(main, answer, email.input.value.trim(), keepBox.checked, next);
          return;
        }
        status.say("");
        await finish(answer, keepBox.checked, next);
      } catch (error) {
        if (error.status === 429) {
          status.say("");
          lock.start(error.retryAfter || 60, error.code);
          return;
        }
        showError(status, error);
        if (error.code === "email_not_verified") {
          state.pendingEmail = email.input.value.trim();
          status.append(h("p", null, link("#/verify", t("verify_now"))));
        }
        password.input.focus();
      }
    }).finally(() => { if (!lockBox.hidden && lockBox.querySelector("[role=timer]")) button.disabled = true; });
  });
  main.append(h("div", { class: "narrow" }, heading(t("signin_title")), form,
    h("p", { class: "links" }, link("#/forgot", t("forgot_password")), " · ", link("#/help", t("nav_help")),
      " · ", link("#/signup", t("create_account"))),
    phishingWarning()));
  return lock.stop;
}

function secondFactor(main, challenge, email, keep, next) {
  main.textContent = "";
  const methods = challenge.methods || [];
  let method = methods.includes("totp") ? "totp" : methods[0];
  const status = statusRegion();
  const code = field({ label: t("code_label_" + method), name: "code", autocomplete: "one-time-code",
                       inputmode: method === "recovery_code" ? "text" : "numeric",
                       hint: t("code_hint_" + method) });
  const remember = h("input", { type: "checkbox", id: "remember-device" });
  const button = h("button", { type: "submit", class: "primary" }, t("continue"));
  const lockBox = h("div", { class: "lockout", hidden: true });
  const lock = lockout(lockBox, button);
  const label = code.querySelector("label");
  const hint = code.querySelector(".hint");
  const choose = (chosen) => {
    method = chosen;
    label.textContent = t("code_label_" + method);
    hint.textContent = t("code_hint_" + method);
    code.input.setAttribute("inputmode", method === "recovery_code" ? "text" : "numeric");
    code.input.value = "";
    code.input.focus();
    drawSwitches();
  };
  const switches = h("div", { class: "links" });
  const drawSwitches = () => {
    switches.textContent = "";
    for (const other of methods.filter((m) => m !== method)) {
      switches.append(h("button", { type: "button", class: "link-button", onclick: async () => {
        choose(other);
        if (other === "email" || other === "sms") {
          try {
            await api.post("/v1/auth/mfa/send", { challenge_id: challenge.challenge_id, method: other }, { auth: false });
            status.say(t("code_sent"), "success");
          } catch (error) { showError(status, error); }
        }
      } }, t("use_method_" + other)));
    }
  };
  drawSwitches();
  const form = h("form", { novalidate: true },
    code, h("div", { class: "check" }, remember, h("label", { for: "remember-device" }, t("remember_device"))),
    h("div", { class: "actions" }, button), lockBox, status, switches);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    code.setError("");
    if (!code.input.value.trim()) { code.setError(t("enter_code")); code.input.focus(); return; }
    busy(button, async () => {
      try {
        const tokens = await api.post("/v1/auth/mfa", {
          challenge_id: challenge.challenge_id, method, code: code.input.value.trim().replace(/\s+/g, ""),
          remember_device: remember.checked }, { auth: false });
        if (tokens.device_token) {
          try { localStorage.setItem(DEVICE_KEY + email.toLowerCase(), tokens.device_token); } catch { /* not kept */ }
        }
        lock.stop();
        await finish(tokens, keep, next);
      } catch (error) {
        if (error.status === 429) { lock.start(error.retryAfter || 60, error.code); return; }
        showError(status, error);
        code.input.focus();
      }
    }).finally(() => { if (lockBox.querySelector("[role=timer]")) button.disabled = true; });
  });
  const title = heading(t("mfa_title"));
  main.append(h("div", { class: "narrow" }, title, h("p", null, t("mfa_intro")), form, phishingWarning()));
  document.title = `${title.textContent} · Kinlink`;
  title.focus();
}

function passwordField(name = "password", label = t("password")) {
  const password = field({ label, name, type: "password", autocomplete: "new-password",
                           minlength: 12, maxlength: 128, hint: t("password_hint") });
  password.insertBefore(capsLockWarning(password.input), password.lastChild);
  return password;
}

export function signUp(main) {
  const status = statusRegion();
  const name = field({ label: t("full_name"), name: "full_name", autocomplete: "name" });
  const email = field({ label: t("email"), name: "email", type: "email", autocomplete: "email" });
  const password = passwordField();
  const phone = field({ label: t("phone_optional"), name: "phone", type: "tel", autocomplete: "tel",
                        required: false, hint: t("phone_hint") });
  const button = h("button", { type: "submit", class: "primary" }, t("create_account"));
  const form = h("form", { novalidate: true }, name, email, password, showPasswordToggle(password.input), phone,
                 h("div", { class: "actions" }, button), status);
  const fields = { full_name: name, email, password, phone };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) f.setError("");
    busy(button, async () => {
      try {
        const body = { email: email.input.value.trim(), password: password.input.value,
                       full_name: name.input.value.trim(), language: language() };
        if (phone.input.value.trim()) body.phone = phone.input.value.trim();
        await api.post("/v1/auth/signup", body, { auth: false });
        state.pendingEmail = body.email;
        state.flash = t("verification_sent", { email: body.email });
        go("#/verify");
      } catch (error) { showError(status, error, fields); }
    });
  });
  main.append(h("div", { class: "narrow" }, heading(t("signup_title")), h("p", null, t("signup_intro")), form,
    h("p", { class: "links" }, t("have_account"), " ", link("#/signin", t("sign_in")))));
}

export function verify(main) {
  const status = statusRegion();
  flashInto(status);
  const email = field({ label: t("email"), name: "email", type: "email", autocomplete: "email",
                        value: state.pendingEmail || undefined });
  const code = field({ label: t("verification_code"), name: "code", inputmode: "numeric",
                       autocomplete: "one-time-code", maxlength: 6, hint: t("verification_hint") });
  const button = h("button", { type: "submit", class: "primary" }, t("verify_email"));
  const form = h("form", { novalidate: true }, email, code, h("div", { class: "actions" }, button), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        await api.post("/v1/auth/verify-email", { email: email.input.value.trim(), code: code.input.value.trim() },
                       { auth: false });
        state.pendingEmail = email.input.value.trim();
        state.flash = t("email_verified");
        go("#/signin");
      } catch (error) { showError(status, error, { email, code }); }
    });
  });
  main.append(h("div", { class: "narrow" }, heading(t("verify_title")), form));
}

export function forgot(main) {
  const status = statusRegion();
  const email = field({ label: t("email"), name: "email", type: "email", autocomplete: "email",
                        value: state.pendingEmail || undefined });
  const button = h("button", { type: "submit", class: "primary" }, t("send_reset"));
  const form = h("form", { novalidate: true }, email, h("div", { class: "actions" }, button), status);
  const second = h("section", { hidden: true, "aria-labelledby": "code-title" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        await api.post("/v1/auth/password/forgot", { email: email.input.value.trim() }, { auth: false });
        status.say(t("reset_sent"), "success");
        second.hidden = false;
      } catch (error) { showError(status, error, { email }); }
    });
  });
  const code = field({ label: t("reset_code"), name: "code", inputmode: "numeric", autocomplete: "one-time-code",
                       maxlength: 6 });
  const password = passwordField("new_password", t("new_password"));
  const save = h("button", { type: "submit", class: "primary" }, t("save_password"));
  const resetStatus = statusRegion();
  const resetForm = h("form", { novalidate: true }, code, password, showPasswordToggle(password.input),
                      h("div", { class: "actions" }, save), resetStatus);
  resetForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      try {
        await api.post("/v1/auth/password/reset", { email: email.input.value.trim(), code: code.input.value.trim(),
                                                    new_password: password.input.value }, { auth: false });
        state.pendingEmail = email.input.value.trim();
        state.flash = t("password_reset_done");
        go("#/signin");
      } catch (error) { showError(resetStatus, error, { code, new_password: password }); }
    });
  });
  second.append(h("h2", { id: "code-title" }, t("have_code_title")), resetForm);
  main.append(h("div", { class: "narrow" }, heading(t("forgot_title")), h("p", null, t("forgot_intro")),
                form, second, phishingWarning()));
}

export function help(main) {
  main.append(h("div", { class: "narrow prose" }, heading(t("help_title")),
    h("h2", null, t("help_locked_title")), h("p", null, t("help_locked")),
    h("h2", null, t("help_forgot_title")), h("p", null, t("help_forgot"), " ", link("#/forgot", t("forgot_password")), "."),
    h("h2", null, t("help_code_title")), h("p", null, t("help_code")),
    h("h2", null, t("help_check_title")), h("p", null, t("help_check")),
    phishingWarning()));
}

// Staff and admins must enrol TOTP before anything else; then they sign in again with a code.
export async function enrol(main) {
  const box = h("div");
  main.append(h("div", { class: "narrow" }, heading(t("enrol_title")), h("p", null, t("enrol_intro")), box));
  const { totpEnrolment } = await import("./account.js");
  totpEnrolment(box, async () => {
    state.flash = t("enrol_done_sign_in");
    await signOut();  // its listener opens the sign-in page, which shows the flash once
    if (location.hash !== "#/signin") go("#/signin");
  });
}
