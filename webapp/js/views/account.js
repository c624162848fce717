// The account: its details (name, language: PATCH /v1/account; the phone number codes are texted
// to, confirmed by a code), two-step sign-in (enrol with a QR code, recovery codes to save, turn
// off), signed-in sessions (sign one out), and the activity to check.
import { api, withQuery } from "../api.js";
import { busy, capsLockWarning, empty, field, h, heading, link, loading, showError, showPasswordToggle,
         statusRegion } from "../dom.js";
import { language, setLanguage, t } from "../i18n.js";
import { when } from "../format.js";
import { qrSvg } from "../qr.js";
import { loadProfile, state } from "../state.js";

function currentPassword(label = t("current_password")) {
  const password = field({ label, name: "current_password", type: "password", autocomplete: "current-password" });
  password.insertBefore(capsLockWarning(password.input), password.lastChild);
  return password;
}

function recoveryCodes(container, codes, onSaved) {
  const text = codes.join("\n") + "\n";
  const download = h("a", { class: "button", download: "kinlink-recovery-codes.txt",
                            href: URL.createObjectURL(new Blob([text], { type: "text/plain" })) },
                     t("download_codes"));
  const saved = h("button", { type: "button", class: "primary", onclick: onSaved }, t("codes_saved"));
  container.append(h("section", { "aria-labelledby": "codes-title", class: "codes" },
    h("h2", { id: "codes-title", tabindex: "-1" }, t("recovery_codes_title")),
    h("p", null, t("recovery_codes_intro")),
    h("ol", { class: "code-list" }, codes.map((code) => h("li", null, h("code", null, code)))),
    h("div", { class: "actions" }, download, saved)));
  container.querySelector("#codes-title").focus();
}

// Password → QR code and secret → a code from the app → recovery codes → ``done``.
export function totpEnrolment(container, done) {
  const status = statusRegion();
  const password = currentPassword();
  const start = h("button", { type: "submit", class: "primary" }, t("start_enrolment"));
  const first = h("form", { novalidate: true }, h("p", null, t("enrol_password_intro")), password,
                  showPasswordToggle(password.input), h("div", { class: "actions" }, start), status);
  container.append(first);
  first.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(start, async () => {
      try {
        const setup = await api.post("/v1/account/mfa/totp/setup", { current_password: password.input.value });
        first.remove();
        await scan(container, setup, done);
      } catch (error) { showError(status, error, { current_password: password }); }
    });
  });
}

async function scan(container, setup, done) {
  const status = statusRegion();
  const code = field({ label: t("code_label_totp"), name: "code", inputmode: "numeric",
                       autocomplete: "one-time-code", maxlength: 6, hint: t("code_hint_totp") });
  const confirm = h("button", { type: "submit", class: "primary" }, t("turn_on_2fa"));
  const form = h("form", { novalidate: true }, code, h("div", { class: "actions" }, confirm), status);
  const qr = await qrSvg(setup.otpauth_uri, t("qr_label"));
  const section = h("section", { "aria-labelledby": "scan-title" },
    h("h2", { id: "scan-title", tabindex: "-1" }, t("scan_title")),
    h("ol", null, h("li", null, t("scan_step_app")), h("li", null, t("scan_step_qr")),
      h("li", null, t("scan_step_code"))),
    h("div", { class: "qr-box" }, qr),
    h("p", null, t("secret_intro")), h("p", null, h("code", { class: "secret", id: "totp-secret" }, setup.secret.match(/.{1,4}/g).join(" "))),
    form);
  container.append(section);
  section.querySelector("#scan-title").focus();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(confirm, async () => {
      try {
        const answer = await api.post("/v1/account/mfa/totp/confirm", { code: code.input.value.trim() });
        section.remove();
        recoveryCodes(container, answer.recovery_codes, done);
      } catch (error) { showError(status, error, { code }); code.input.focus(); }
    });
  });
}

function twoStep(box, profile, redraw) {
  box.textContent = "";
  box.append(h("h2", { id: "twostep-title" }, t("twostep_title")));
  if (!profile.mfa.totp) {
    box.append(h("p", null, t("twostep_off")));
    const turnOn = h("button", { type: "button", class: "primary", onclick: () => {
      turnOn.remove();
      totpEnrolment(box, redraw);
    } }, t("turn_on_2fa"));
    box.append(h("div", { class: "actions" }, turnOn));
    return;
  }
  box.append(h("p", null, t("twostep_on", { left: profile.mfa.recovery_codes_left })));
  const status = statusRegion();
  const password = currentPassword();
  const renew = h("button", { type: "submit" }, t("new_recovery_codes"));
  const renewForm = h("form", { novalidate: true, "aria-labelledby": "renew-title" },
    h("h3", { id: "renew-title" }, t("new_recovery_codes")), password, h("div", { class: "actions" }, renew), status);
  renewForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(renew, async () => {
      try {
        const answer = await api.post("/v1/account/mfa/recovery-codes", { current_password: password.input.value });
        renewForm.remove();
        recoveryCodes(box, answer.recovery_codes, redraw);
      } catch (error) { showError(status, error, { current_password: password }); }
    });
  });
  box.append(renewForm);
  if (profile.role === "family") {
    const offStatus = statusRegion();
    const offPassword = field({ label: t("password"), name: "password", type: "password",
                                autocomplete: "current-password" });
    const offCode = field({ label: t("code_label_totp"), name: "code", inputmode: "numeric",
                            autocomplete: "one-time-code", maxlength: 6 });
    const off = h("button", { type: "submit", class: "danger" }, t("turn_off_2fa"));
    const offForm = h("form", { novalidate: true, "aria-labelledby": "off-title" },
      h("h3", { id: "off-title" }, t("turn_off_2fa")), h("p", null, t("turn_off_warning")),
      offPassword, offCode, h("div", { class: "actions" }, off), offStatus);
    offForm.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(off, async () => {
        try {
          await api.del("/v1/account/mfa/totp", { password: offPassword.input.value, code: offCode.input.value.trim() });
          redraw();
        } catch (error) { showError(offStatus, error, { password: offPassword, code: offCode }); }
      });
    });
    box.append(offForm);
  }
}

async function sessions(box) {
  box.textContent = "";
  box.append(h("h2", { id: "sessions-title" }, t("sessions_title")), loading());
  const status = statusRegion();
  try {
    const page = await api.get(withQuery("/v1/account/sessions", { limit: 50 }));
    box.querySelector(".loading").remove();
    if (!page.items.length) { box.append(empty(t("no_sessions"))); return; }
    const list = h("ul", { class: "cards" });
    for (const session of page.items) {
      const item = h("li", { class: "card" },
        h("p", null, h("strong", null, session.device || t("unknown_device")),
          session.current ? h("span", { class: "badge" }, t("this_device")) : null),
        h("p", { class: "meta" }, t("session_meta", { ip: session.ip || "—", since: when(session.created_at),
                                                      last: when(session.last_used_at) })));
      if (!session.current) {
        const revoke = h("button", { type: "button", class: "danger",
                                     "aria-label": t("sign_out_session_named", { device: session.device || t("unknown_device") }) },
                         t("sign_out_session"));
        revoke.addEventListener("click", () => busy(revoke, async () => {
          try {
            await api.del(`/v1/account/sessions/${encodeURIComponent(session.session_id)}`);
            item.remove();
            status.say(t("session_revoked"), "success");
          } catch (error) { showError(status, error); }
        }));
        item.append(revoke);
      }
      list.append(item);
    }
    box.append(list, status);
  } catch (error) { box.querySelector(".loading")?.remove(); box.append(status); showError(status, error); }
}

// A new password: every other session ends (the API revokes them), this one stays.
function changePassword() {
  const status = statusRegion();
  const current = currentPassword();
  const fresh = field({ label: t("new_password"), name: "new_password", type: "password",
                        autocomplete: "new-password", minlength: 12, maxlength: 128, hint: t("password_hint") });
  fresh.insertBefore(capsLockWarning(fresh.input), fresh.lastChild);
  const button = h("button", { type: "submit" }, t("change_password"));
  const form = h("form", { novalidate: true, class: "panel", "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, t("change_password")), current, fresh,
    showPasswordToggle(current.input, fresh.input), h("div", { class: "actions" }, button), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    current.setError(""); fresh.setError("");
    busy(button, async () => {
      try {
        await api.post("/v1/account/password", { current_password: current.input.value, new_password: fresh.input.value });
        current.input.value = ""; fresh.input.value = "";
        status.say(t("password_changed"), "success");
      } catch (error) { showError(status, error, { current_password: current, new_password: fresh }); }
    });
  });
  return form;
}

function profileForm() {
  const status = statusRegion();
  const profile = state.profile || {};
  const name = field({ label: t("full_name"), name: "full_name", autocomplete: "name", maxlength: 200,
                       value: profile.full_name || "" });
  const chosen = field({ label: t("profile_language"), name: "language", value: profile.language || language(),
                         options: [["en", "English"], ["es", "Español"]] });
  const save = h("button", { type: "submit" }, t("profile_save"));
  const form = h("form", { novalidate: true, class: "panel", "aria-labelledby": "profile-title" },
    h("h2", { id: "profile-title" }, t("profile_title")), name, chosen, h("div", { class: "actions" }, save), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    name.setError("");
    if (!name.input.value.trim()) { name.setError(t("profile_name_missing")); name.input.focus(); return; }
    busy(save, async () => {
      try {
        state.profile = await api.patch("/v1/account", { full_name: name.input.value.trim(), language: chosen.input.value });
        status.say(t("profile_saved"), "success");
        if (state.profile.language && state.profile.language !== language()) await setLanguage(state.profile.language, true);
      } catch (error) { showError(status, error, { full_name: name, language: chosen }); }
    });
  });
  return form;
}

// A new phone number: the password again, then the texted code (POST /v1/account/phone[/verify]).
function phoneForm() {
  const status = statusRegion();
  const shown = h("p", null, state.profile?.phone ? t("phone_current", { phone: state.profile.phone }) : t("phone_none"));
  const phone = field({ label: t("phone_new"), name: "phone", type: "tel", autocomplete: "tel", hint: t("phone_hint") });
  const password = currentPassword();
  const send = h("button", { type: "submit" }, t("phone_send"));
  const code = field({ label: t("number_code"), name: "code", inputmode: "numeric", autocomplete: "one-time-code",
                       maxlength: 6 });
  const confirm = h("button", { type: "button", class: "primary" }, t("confirm_number"));
  const step2 = h("div", { hidden: true }, code, h("div", { class: "actions" }, confirm));
  const form = h("form", { novalidate: true, class: "panel", "aria-labelledby": "phone-title" },
    h("h2", { id: "phone-title" }, t("phone_title")), shown, phone, password,
    h("div", { class: "actions" }, send), step2, status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    phone.setError(""); password.setError("");
    busy(send, async () => {
      try {
        await api.post("/v1/account/phone", { phone: phone.input.value.trim(), current_password: password.input.value });
        password.input.value = "";
        status.say(t("phone_sent"), "success");
        step2.hidden = false;
        code.input.focus();
      } catch (error) { showError(status, error, { phone, current_password: password }); }
    });
  });
  confirm.addEventListener("click", () => busy(confirm, async () => {
    code.setError("");
    try {
      await api.post("/v1/account/phone/verify", { code: code.input.value.trim() });
      state.profile = await loadProfile();
      shown.textContent = t("phone_current", { phone: state.profile.phone || phone.input.value.trim() });
      step2.hidden = true;
      code.input.value = ""; phone.input.value = "";
      status.say(t("phone_confirmed"), "success");
    } catch (error) { showError(status, error, { code }); }
  }));
  return form;
}

export async function security(main) {
  const twoStepBox = h("section", { "aria-labelledby": "twostep-title", class: "panel" });
  const sessionsBox = h("section", { "aria-labelledby": "sessions-title", class: "panel" });
  const status = statusRegion();
  main.append(heading(t("security_title")), status, profileForm(), phoneForm(), twoStepBox, changePassword(), sessionsBox);
  if (state.profile?.role === "family") main.append(h("p", { class: "links" }, link("#/data", t("your_data_link"))));
  const redraw = async () => {
    try { twoStep(twoStepBox, await loadProfile(), redraw); } catch (error) { showError(status, error); }
  };
  if (state.profile) twoStep(twoStepBox, state.profile, redraw); else await redraw();
  sessions(sessionsBox);
}

export async function activity(main) {
  main.append(heading(t("activity_title")), h("p", null, t("activity_intro")));
  const list = h("ul", { class: "cards" });
  const status = statusRegion();
  const more = h("button", { type: "button", hidden: true }, t("show_more"));
  main.append(list, status, h("div", { class: "actions" }, more));
  let cursor = null;
  const load = async () => {
    const spinner = loading();
    main.insertBefore(spinner, status);
    try {
      const page = await api.get(withQuery("/v1/account/activity", { limit: 20, cursor }));
      for (const event of page.items) {
        list.append(h("li", { class: "card" + (event.outcome === "failure" ? " warn" : "") },
          h("p", null, h("strong", null, t("event_" + event.type) === "event_" + event.type ? event.type : t("event_" + event.type))),
          h("p", { class: "meta" }, when(event.at), event.ip ? ` · ${event.ip}` : "",
            event.user_agent ? ` · ${event.user_agent}` : "")));
      }
      if (!list.children.length) main.insertBefore(empty(t("no_activity")), list);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) { showError(status, error); } finally { spinner.remove(); }
  };
  more.addEventListener("click", () => busy(more, load));
  await load();
}
