// The staff console: the review queue (approve, or reject with a reason from the facility's
// list), contact requests, flagged deposits and refunds, inmates (balance, PIN unlock and
// reset, kiosk sessions), kiosks, the day's visits, call-number approvals and the support
// queue.  Staff act at their facility; an admin picks one.
import { api, withQuery } from "../api.js";
import { append, busy, empty, field, h, heading, loading, photoPart, showError, statusRegion } from "../dom.js";
import { t } from "../i18n.js";
import { money, when, zoneName } from "../format.js";
import { state } from "../state.js";

// Staff: their own facility (the API knows it); admins: the one chosen here (?facility_id=).
async function facilityScope(main, draw) {
  if (state.profile?.role !== "admin") { await draw({}); return; }
  const page = await api.get(withQuery("/v1/facilities", { limit: 100 }));
  const chooser = field({ label: t("facility"), name: "facility_id", value: state.staffFacility,
                          options: page.items.map((f) => [f.facility_id, f.name]) });
  state.staffFacility = chooser.input.value;
  const area = h("div");
  chooser.input.addEventListener("change", () => {
    state.staffFacility = chooser.input.value;
    area.textContent = "";
    draw({ facility_id: state.staffFacility }, area);
  });
  main.append(chooser, area);
  await draw({ facility_id: state.staffFacility }, area);
}

function page(title, intro, build) {
  return async (main) => {
    append(main, [heading(title()), intro ? h("p", null, intro()) : null]);
    const status = statusRegion();
    main.append(status);
    try {
      await facilityScope(main, async (scope, area = main) => build(area, scope, status));
    } catch (error) { showError(status, error); }
  };
}

async function listed(area, path, scope, status, drawItem, emptyText) {
  const spinner = loading();
  area.append(spinner);
  try {
    const result = await api.get(withQuery(path, { limit: 50, ...scope }));
    spinner.remove();
    if (!result.items.length) { area.append(empty(emptyText)); return; }
    area.append(h("ul", { class: "cards" }, result.items.map((item) => drawItem(item))));
  } catch (error) { spinner.remove(); showError(status, error); }
}

function decided(card, text) {
  card.textContent = "";
  card.append(h("p", { class: "success" }, text));
}

export const review = page(() => t("review_title"), () => t("review_intro"), async (area, scope, status) => {
  const reasons = (await api.get(withQuery("/v1/staff/rejection-reasons", scope))).items;
  await listed(area, "/v1/staff/messages", { ...scope, status: "pending_review" }, status, (message) => {
    const card = h("li", { class: "card" });
    const reason = field({ label: t("rejection_reason"), name: "reason",
                           options: reasons.map((r) => [r.code, r.text || r.en]) });
    const approve = h("button", { type: "button", class: "primary" }, t("approve"));
    const reject = h("button", { type: "button", class: "danger" }, t("reject"));
    const decide = (button, decision) => busy(button, async () => {
      try {
        const body = { decision, reason: decision === "reject" ? reason.input.value : "" };
        if (decision === "approve") delete body.reason;
        await api.post(withQuery(`/v1/staff/messages/${encodeURIComponent(message.message_id)}/decision`, scope), body);
        decided(card, decision === "approve" ? t("review_approved_done") : t("review_rejected_done"));
      } catch (error) { showError(status, error); }
    });
    approve.addEventListener("click", () => decide(approve, "approve"));
    reject.addEventListener("click", () => decide(reject, "reject"));
    append(card, [
      h("h2", { class: "card-title" }, t("message_from_to", { from: message.family_name, to: message.inmate_name })),
      h("p", { class: "meta" }, h("time", { datetime: message.sent_at }, when(message.sent_at)),
        message.direction === "to_family" ? ` · ${t("inmate_reply")}` : ""),
      message.body ? h("p", { class: "body" }, message.body) : null,
      (message.parts || []).filter((part) => part.kind === "photo").map(photoPart),
      message.watch_words && message.watch_words.length
        ? h("p", { class: "warn-text" }, t("watch_words_found", { words: message.watch_words.join(", ") })) : null,
      h("div", { class: "decision" }, approve, reason, reject),
      (message.parts || []).length > 1 ? partDecisions(message, reasons, scope, card, status) : null]);
    return card;
  }, t("queue_empty"));
});

// A message with photos decided part by part: each part kept or rejected with its own reason
// (only rejected parts are refunded; the message is delivered when any part is).
function partDecisions(message, reasons, scope, card, status) {
  let photos = 0;
  const rows = message.parts.map((part) => {
    const label = part.part === "text" ? t("part_text") : `${t("part_attachment")} ${++photos}`;
    const choice = field({ label: t("part_decision", { part: label }), name: "decision",
                           options: [["approve", t("approve")], ["reject", t("reject")]] });
    const why = field({ label: t("part_reason", { part: label }), name: "reason",
                        options: reasons.map((r) => [r.code, r.text || r.en]) });
    return { part, choice, why, row: h("div", { class: "decision" }, choice, why) };
  });
  const send = h("button", { type: "submit" }, t("decide_parts"));
  const form = h("form", { novalidate: true, "aria-label": t("decide_parts_title") },
    rows.map((r) => r.row), h("div", { class: "actions" }, send));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(send, async () => {
      try {
        const parts = rows.map(({ part, choice, why }) => (choice.input.value === "reject"
          ? { part: part.part, decision: "reject", reason: why.input.value } : { part: part.part, decision: "approve" }));
        await api.post(withQuery(`/v1/staff/messages/${encodeURIComponent(message.message_id)}/decision`, scope), { parts });
        decided(card, t("parts_decided_done"));
      } catch (error) { showError(status, error); }
    });
  });
  return h("details", { class: "parts-decision" }, h("summary", null, t("decide_parts_title")), form);
}

export const contactRequests = page(() => t("contact_requests_title"), null, async (area, scope, status) => {
  await listed(area, "/v1/staff/contacts", { ...scope, status: "pending" }, status, (contact) => {
    const card = h("li", { class: "card" });
    const reason = field({ label: t("deny_reason"), name: "reason", required: false });
    const approve = h("button", { type: "button", class: "primary" }, t("approve"));
    const deny = h("button", { type: "button", class: "danger" }, t("deny"));
    const decide = (button, decision) => busy(button, async () => {
      try {
        const body = { decision };
        if (decision === "deny" && reason.input.value.trim()) body.reason = reason.input.value.trim();
        await api.post(withQuery(`/v1/staff/contacts/${encodeURIComponent(contact.contact_id)}/decision`, scope), body);
        decided(card, decision === "approve" ? t("contact_approved") : t("contact_denied"));
      } catch (error) { showError(status, error, { reason }); }
    });
    approve.addEventListener("click", () => decide(approve, "approve"));
    deny.addEventListener("click", () => decide(deny, "deny"));
    card.append(h("h2", { class: "card-title" }, t("contact_from_to", { from: contact.family_name, to: contact.inmate_name })),
      h("p", { class: "meta" }, t("inmate_number", { number: contact.inmate_number }), " · ", when(contact.created_at)),
      h("div", { class: "decision" }, approve, reason, deny));
    return card;
  }, t("no_contact_requests"));
});

function refundForm(scope, status, depositId = "") {
  const deposit = field({ label: t("deposit_id"), name: "deposit_id", value: depositId || undefined });
  const reason = field({ label: t("refund_reason"), name: "reason" });
  const button = h("button", { type: "submit", class: "danger" }, t("refund"));
  const form = h("form", { novalidate: true, class: "panel", "aria-labelledby": "refund-title" },
    h("h2", { id: "refund-title" }, t("refund_title")), h("p", null, t("refund_intro")), deposit, reason,
    h("div", { class: "actions" }, button));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const refunded = await api.post(withQuery(`/v1/staff/deposits/${encodeURIComponent(deposit.input.value.trim())}/refund`, scope),
                                        { reason: reason.input.value.trim() });
        status.say(t("refunded", { amount: money(refunded.total_cents) }), "success");
      } catch (error) { showError(status, error, { reason }); }
    });
  });
  form.fill = (id) => { deposit.input.value = id; reason.input.focus(); };
  return form;
}

export const deposits = page(() => t("staff_deposits_title"), null, async (area, scope, status) => {
  const refund = refundForm(scope, status);
  area.append(h("h2", null, t("flags_title")));
  await listed(area, "/v1/staff/flags", scope, status, (flag) => {
    const card = h("li", { class: "card" });
    const reason = field({ label: t("flag_reason"), name: "reason" });
    const buttons = ["cleared", "escalated"].map((decision) => {
      const button = h("button", { type: "button", class: decision === "cleared" ? "primary" : "danger" },
                       t("flag_" + decision));
      button.addEventListener("click", () => busy(button, async () => {
        try {
          await api.post(withQuery(`/v1/staff/flags/${encodeURIComponent(flag.flag_id)}/decision`, scope),
                         { decision, reason: reason.input.value.trim() });
          decided(card, t("flag_done_" + decision));
        } catch (error) { showError(status, error, { reason }); }
      }));
      return button;
    });
    append(card, [h("h3", { class: "card-title" }, money(flag.amount_cents), " · ", flag.rule_codes.join(", ")),
      h("p", { class: "meta" }, when(flag.created_at), " · ", t("status_word", { status: flag.status })),
      flag.status === "pending" ? h("div", { class: "decision" }, reason, ...buttons) : null,
      h("button", { type: "button", class: "link-button", onclick: () => refund.fill(flag.deposit_id) },
        t("refund_this_deposit"))]);
    return card;
  }, t("no_flags"));
  area.append(refund);
});

export const inmates = page(() => t("inmates_title"), () => t("inmates_intro"), async (area, scope, status) => {
  const facilityId = scope.facility_id || state.profile.facility_id;
  const query = field({ label: t("search_name_or_number"), name: "q", type: "search" });
  const button = h("button", { type: "submit", class: "primary" }, t("search"));
  const results = h("div");
  const form = h("form", { novalidate: true, role: "search" }, query, h("div", { class: "actions" }, button));
  area.append(form, results);
  const action = (label, run) => {
    const b = h("button", { type: "button" }, label);
    b.addEventListener("click", () => busy(b, async () => {
      try { await run(); } catch (error) { showError(status, error); }
    }));
    return b;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      results.textContent = "";
      try {
        const found = await api.get(withQuery(`/v1/facilities/${encodeURIComponent(facilityId)}/inmates`,
                                              { q: query.input.value.trim(), limit: 20 }));
        if (!found.items.length) { results.append(empty(t("no_results"))); return; }
        results.append(h("ul", { class: "cards" }, found.items.map((inmate) => {
          const out = h("div", { "aria-live": "polite" });
          const base = `/v1/staff/inmates/${encodeURIComponent(inmate.inmate_id)}`;
          return h("li", { class: "card" }, h("h2", { class: "card-title" }, inmate.full_name),
            h("p", { class: "meta" }, t("inmate_number", { number: inmate.inmate_number })),
            h("div", { class: "actions" },
              action(t("show_balance"), async () => {
                const b = await api.get(withQuery(`${base}/balance`, scope));
                out.textContent = "";
                out.append(h("p", null, t("balances", { trust: money(b.balances.trust_cents), phone: money(b.balances.phone_cents) })));
              }),
              action(t("unlock_pin"), async () => {
                await api.post(withQuery(`${base}/unlock`, scope), {});
                out.textContent = ""; out.append(h("p", { class: "success" }, t("pin_unlocked")));
              }),
              action(t("new_pin"), async () => {
                const answer = await api.post(withQuery(`${base}/pin`, scope), {});
                out.textContent = "";
                out.append(h("p", { class: "success" }, t("new_pin_shown"), " ", h("code", { class: "secret" }, answer.pin)));
              }),
              action(t("end_kiosk_sessions"), async () => {
                await api.post(withQuery(`${base}/sessions/revoke`, scope), {});
                out.textContent = ""; out.append(h("p", { class: "success" }, t("kiosk_sessions_ended")));
              })), out);
        })));
      } catch (error) { showError(status, error, { q: query }); }
    });
  });
});

export const kiosks = page(() => t("kiosks_title"), () => t("kiosks_intro"), async (area, scope, status) => {
  const label = field({ label: t("kiosk_label"), name: "label", hint: t("kiosk_label_hint") });
  const button = h("button", { type: "submit", class: "primary" }, t("register_kiosk"));
  const shown = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true, class: "panel" }, label, h("div", { class: "actions" }, button), shown);
  const list = h("div");
  area.append(form, h("h2", null, t("kiosks_list")), list);
  const draw = async () => {
    list.textContent = "";
    await listed(list, "/v1/staff/kiosks", scope, status, (kiosk) => {
      const card = h("li", { class: "card" }, h("h3", { class: "card-title" }, kiosk.label),
        h("p", { class: "meta" }, when(kiosk.created_at), kiosk.revoked_at ? ` · ${t("revoked_at", { at: when(kiosk.revoked_at) })}` : ""));
      if (!kiosk.revoked_at) {
        const revoke = h("button", { type: "button", class: "danger", "aria-label": t("revoke_named", { label: kiosk.label }) },
                         t("revoke"));
        revoke.addEventListener("click", () => busy(revoke, async () => {
          try {
            await api.del(withQuery(`/v1/staff/kiosks/${encodeURIComponent(kiosk.kiosk_id)}`, scope));
            status.say(t("kiosk_revoked"), "success");
            await draw();
          } catch (error) { showError(status, error); }
        }));
        card.append(revoke);
      }
      return card;
    }, t("no_kiosks"));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const kiosk = await api.post(withQuery("/v1/staff/kiosks", scope), { label: label.input.value.trim() });
        shown.textContent = "";
        shown.append(h("p", { class: "success" }, t("kiosk_key_once")), h("p", null, h("code", { class: "secret" }, kiosk.key)));
        label.input.value = "";
        await draw();
      } catch (error) { showError(status, error, { label }); }
    });
  });
  await draw();
});

// Admins: find an account by email, then clear its lockout, disable or enable it, or reset its
// authenticator (which ends its sessions; staff then enrol again at their next sign-in).
export async function accounts(main) {
  main.append(heading(t("accounts_title")), h("p", null, t("accounts_intro")));
  const status = statusRegion();
  const email = field({ label: t("email"), name: "email", type: "email", autocomplete: "off" });
  const button = h("button", { type: "submit", class: "primary" }, t("search"));
  const results = h("div");
  const form = h("form", { novalidate: true, role: "search" }, email, h("div", { class: "actions" }, button));
  main.append(form, status, results);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      results.textContent = "";
      status.say("");
      try {
        const found = await api.get(withQuery("/v1/admin/accounts", { email: email.input.value.trim() }));
        if (!found.items.length) { results.append(empty(t("no_results"))); return; }
        results.append(h("ul", { class: "cards" }, found.items.map((account) => {
          const base = `/v1/admin/accounts/${encodeURIComponent(account.account_id)}`;
          const action = (label, path, done, kind = "") => {
            const b = h("button", { type: "button", class: kind }, label);
            b.addEventListener("click", () => busy(b, async () => {
              try { await api.post(base + path, {}); status.say(done, "success"); } catch (error) { showError(status, error); }
            }));
            return b;
          };
          return h("li", { class: "card" }, h("h2", { class: "card-title" }, account.full_name),
            h("p", { class: "meta" }, account.email, " · ", t("role_" + account.role), " · ",
              account.disabled ? t("account_disabled") : t("account_enabled"), " · ",
              account.mfa.totp ? t("twostep_is_on") : t("twostep_is_off")),
            h("div", { class: "actions" },
              action(t("clear_lockout"), "/unlock", t("lockout_cleared")),
              account.disabled ? action(t("enable_account"), "/enable", t("account_enabled_done"))
                : action(t("disable_account"), "/disable", t("account_disabled_done"), "danger"),
              account.mfa.totp ? action(t("reset_2fa"), "/mfa/reset", t("twostep_reset_done"), "danger") : null));
        })));
      } catch (error) { showError(status, error, { email }); }
    });
  });
}

// Today (YYYY-MM-DD) in ``zone`` (the facility's), or in the browser's zone without one.
function localToday(zone) {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit",
                                            ...(zone ? { timeZone: zone } : {}) }).format(new Date());
}

// The facility in charge (an admin's choice, else the staff member's own) and its time zone.
async function facilityZone(scope) {
  const page = await api.get(withQuery("/v1/facilities", { limit: 100 }));
  const id = scope.facility_id || state.profile?.facility_id;
  return page.items.find((f) => f.facility_id === id)?.timezone;
}

// A closed account's visits keep no name (the API says "erased").
function familyName(name) { return name === "erased" ? t("family_erased") : name || ""; }

// The day's visits: approve or decline requests, check visitors in, mark no-shows, cancel.
export const visitsOfDay = page(() => t("staff_visits_title"), () => t("staff_visits_intro"), async (area, scope, status) => {
  const zone = await facilityZone(scope);
  const day = field({ label: t("staff_visits_day"), name: "date", type: "date", value: localToday(zone),
                      hint: zone ? t("staff_times_in_zone", { zone: zoneName(new Date(), zone) }) : undefined });
  const list = h("div");
  const reasons = (await api.get(withQuery("/v1/staff/rejection-reasons", scope))).items;
  const draw = async () => {
    const fresh = h("div");  // a newer draw (the day changed again) replaces this one
    list.replaceChildren(fresh);
    await listed(fresh, "/v1/staff/visits", { ...scope, date: day.input.value }, status, (visit) => {
      const card = h("li", { class: "card" });
      const reason = field({ label: t("staff_visit_reason"), name: "reason",
                             options: reasons.map((r) => [r.code, r.text || r.en]) });
      const act = (button, path, body, done) => busy(button, async () => {
        try {
          await api.post(withQuery(`/v1/staff/visits/${encodeURIComponent(visit.visit_id)}/${path}`, scope), body);
          status.say(done, "success");
          await draw();
        } catch (error) { showError(status, error); }
      });
      const button = (text, path, body, done, kind = "") => {
        const b = h("button", { type: "button", class: kind }, text);
        b.addEventListener("click", () => act(b, path, typeof body === "function" ? body() : body, done));
        return b;
      };
      const actions = [];
      if (visit.status === "requested") {
        actions.push(button(t("approve"), "decision", { decision: "approve" }, t("staff_visit_approved"), "primary"),
                     reason, button(t("decline"), "decision", () => ({ decision: "decline", reason: reason.input.value }),
                                    t("staff_visit_declined"), "danger"));
      } else if (visit.status === "scheduled" || visit.status === "in_progress") {
        actions.push(button(t("check_in"), "check-in", {}, t("staff_visit_checked_in"), "primary"),
                     button(t("no_show"), "no-show", {}, t("staff_visit_no_show")),
                     reason, button(t("cancel_visit"), "cancel", () => ({ reason: reason.input.value }),
                                    t("staff_visit_cancelled"), "danger"));
      }
      append(card, [h("h2", { class: "card-title" }, t("staff_visit_line", {
          family: familyName(visit.family_name), inmate: visit.inmate_name, mode: t("mode_" + visit.mode) })),
        h("p", { class: "meta" }, h("time", { datetime: visit.starts_at }, when(visit.starts_at, zone)),
          (visit.visitors || []).length ? ` · ${visit.visitors.map((v) => v.full_name).join(", ")}` : ""),
        h("p", null, h("span", { class: `badge badge-${visit.status}` }, t("visit_" + visit.status))),
        actions.length ? h("div", { class: "decision" }, actions) : null]);
      return card;
    }, t("staff_no_visits"));
  };
  day.input.addEventListener("change", draw);
  area.append(day, list);
  await draw();
});

export const callNumbers = page(() => t("staff_numbers_title"), () => t("staff_numbers_intro"), async (area, scope, status) => {
  await listed(area, "/v1/staff/call-numbers", { ...scope, status: "pending" }, status, (number) => {
    const card = h("li", { class: "card" });
    const reason = field({ label: t("deny_reason"), name: "reason", required: false });
    const decide = (button, decision) => busy(button, async () => {
      try {
        const body = { decision };
        if (decision === "deny" && reason.input.value.trim()) body.reason = reason.input.value.trim();
        await api.post(withQuery(`/v1/staff/call-numbers/${encodeURIComponent(number.number_id)}/decision`, scope), body);
        decided(card, decision === "approve" ? t("number_approved_done") : t("number_denied_done"));
      } catch (error) { showError(status, error, { reason }); }
    });
    const approve = h("button", { type: "button", class: "primary" }, t("approve"));
    const deny = h("button", { type: "button", class: "danger" }, t("deny"));
    approve.addEventListener("click", () => decide(approve, "approve"));
    deny.addEventListener("click", () => decide(deny, "deny"));
    card.append(h("h2", { class: "card-title" }, number.phone),
      h("p", { class: "meta" }, t("staff_number_for", { inmate: number.inmate_id || "" }), " · ", when(number.created_at)),
      h("div", { class: "decision" }, approve, reason, deny));
    return card;
  }, t("staff_no_numbers"));
});

export const supportQueue = page(() => t("staff_support_title"), null, async (area, scope, status) => {
  const which = field({ label: t("receipt_status"), name: "status", value: "open",
                        options: ["open", "answered", "closed"].map((s) => [s, t("ticket_" + s)]) });
  const list = h("div");
  const draw = async () => {
    list.textContent = "";
    await listed(list, "/v1/staff/support/tickets", { ...scope, status: which.input.value }, status, (ticket) => h("li", { class: "card" + (ticket.overdue ? " warn" : "") },
      h("h2", { class: "card-title" }, h("a", { href: `#/staff/support/${encodeURIComponent(ticket.ticket_id)}` }, ticket.subject)),
      h("p", { class: "meta" }, ticket.family_name, " · ", t("category_" + ticket.category),
        ticket.related_id ? ` · ${ticket.related_id}` : ""),
      h("p", null, ticket.overdue ? h("strong", { class: "warn-text" }, t("staff_overdue")) : null,
        ticket.status === "open" ? ` ${t("staff_respond_by", { when: when(ticket.respond_by) })}` : "")),
    t("staff_no_tickets"));
  };
  which.input.addEventListener("change", draw);
  area.append(which, list);
  await draw();
});

export async function supportTicket(main, { args }) {
  const id = decodeURIComponent(args[0]);
  const scope = state.profile?.role === "admin" && state.staffFacility ? { facility_id: state.staffFacility } : {};
  const status = statusRegion();
  const path = `/v1/staff/support/tickets/${encodeURIComponent(id)}`;
  let shown;
  try { shown = await api.get(withQuery(path, scope)); } catch (error) {
    main.append(heading(t("staff_support_title")), status);
    showError(status, error);
    return;
  }
  main.append(heading(shown.subject),
    h("p", { class: "meta" }, shown.family_name, " · ", t("category_" + shown.category),
      shown.related_id ? ` · ${shown.related_id}` : "", " · ", t("ticket_" + shown.status)),
    h("ol", { class: "thread" },
      h("li", { class: "message theirs" }, h("p", { class: "meta" }, shown.family_name, " · ", when(shown.created_at)),
        h("p", { class: "body" }, shown.body)),
      ((shown.replies && shown.replies.items) || []).map((reply) => h("li", {
        class: `message ${reply.author_role === "family" ? "theirs" : "mine"}` },
        h("p", { class: "meta" }, reply.author_name, " · ", when(reply.created_at)), h("p", { class: "body" }, reply.body)))));
  if (shown.status !== "closed") {
    const body = field({ label: t("your_reply"), name: "body", type: "textarea", rows: 4, maxlength: 6000 });
    const send = h("button", { type: "submit", class: "primary" }, t("send_reply"));
    const close = h("button", { type: "button" }, t("close_ticket"));
    const form = h("form", { novalidate: true }, body, h("div", { class: "actions" }, send, close), status);
    const reopen = () => { location.hash = `#/staff/support/${encodeURIComponent(id)}?r=${Date.now()}`; };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!body.input.value.trim()) { body.setError(t("required_field")); body.input.focus(); return; }
      busy(send, async () => {
        try { await api.post(withQuery(`${path}/replies`, scope), { body: body.input.value.trim() }); reopen(); } catch (error) { showError(status, error, { body }); }
      });
    });
    close.addEventListener("click", () => busy(close, async () => {
      try { await api.post(withQuery(`${path}/close`, scope)); reopen(); } catch (error) { showError(status, error); }
    }));
    main.append(form);
  }
  main.append(h("p", null, h("a", { href: "#/staff/support" }, t("staff_support_title"))));
}
