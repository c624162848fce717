// Calls: the numbers a family takes calls on (registered with the password typed again, proved
// by a texted code, removed at once), the calling balance per facility (a deposit with no fee,
// the whole balance refunded to the cards), the calls, and a month's statement.
import { api, withQuery } from "../api.js";
import { busy, empty, field, h, heading, link, loading, showError, showPasswordToggle, statusRegion } from "../dom.js";
import { t } from "../i18n.js";
import { money, newKey, when } from "../format.js";
import { allContacts, facilities, statusBadge } from "./family.js";
import { cardField } from "./payment.js";

function dollars(text) {
  const clean = text.trim().replace(/^\$/, "").replace(",", ".");
  return /^\d+(\.\d{1,2})?$/.test(clean) ? Math.round(Number(clean) * 100) : null;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return t("call_duration", { minutes: Math.floor(s / 60), seconds: String(s % 60).padStart(2, "0") });
}

export async function calls(main) {
  main.append(heading(t("calls_title")),
    h("p", { class: "actions" }, link("#/statements", t("statements_link"), { class: "button" })));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner, status);
  let approved; let places;
  try {
    [approved, places] = await Promise.all([allContacts(), facilities()]);
    approved = approved.filter((c) => c.status === "approved");
  } catch (error) { spinner.remove(); showError(status, error); return; }
  spinner.remove();
  if (!approved.length) {
    main.append(empty(t("calls_need_contact")), h("p", null, link("#/contacts/find", t("find_someone"))));
    return;
  }
  const facilityIds = [...new Set(approved.map((c) => c.facility_id))];
  main.append(numbersSection(approved),
    ...facilityIds.map((id) => balanceSection(id, places[id]?.name || id)),
    callsSection());
}

function numbersSection(approved) {
  const section = h("section", { "aria-labelledby": "numbers-title" }, h("h2", { id: "numbers-title" }, t("numbers_title")),
                    h("p", null, t("numbers_intro")));
  const status = statusRegion();
  const list = h("ul", { class: "cards" });
  const names = Object.fromEntries(approved.map((c) => [c.contact_id, c.inmate_name]));
  const refresh = async () => {
    try {
      const page = await api.get(withQuery("/v1/call-numbers", { limit: 50 }));
      list.textContent = "";
      if (!page.items.length) list.append(h("li", { class: "empty" }, t("no_numbers")));
      for (const number of page.items) list.append(numberItem(number, names, status, refresh));
    } catch (error) { showError(status, error); }
  };
  const phone = field({ label: t("call_phone"), name: "phone", type: "tel", autocomplete: "tel", hint: t("call_phone_hint") });
  const who = field({ label: t("calls_from"), name: "contact_id",
                      options: approved.map((c) => [c.contact_id, `${c.inmate_name} (${c.inmate_number})`]) });
  const password = field({ label: t("current_password"), name: "current_password", type: "password",
                           autocomplete: "current-password" });
  const add = h("button", { type: "submit", class: "primary" }, t("add_number"));
  const form = h("form", { novalidate: true, "aria-labelledby": "add-number-title" },
    h("h3", { id: "add-number-title" }, t("add_number_title")), phone, who, password,
    showPasswordToggle(password.input), h("div", { class: "actions" }, add));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const f of [phone, password]) f.setError("");
    if (!phone.input.value.trim()) { phone.setError(t("call_phone_missing")); phone.input.focus(); return; }
    if (!password.input.value) { password.setError(t("enter_password")); password.input.focus(); return; }
    busy(add, async () => {
      try {
        await api.post("/v1/call-numbers", { phone: phone.input.value.trim(), contact_id: who.input.value,
                                             current_password: password.input.value });
        password.input.value = "";
        phone.input.value = "";
        status.say(t("number_code_sent"), "success");
        await refresh();
      } catch (error) { showError(status, error, { phone, current_password: password }); }
    });
  });
  section.append(status, list, form);
  refresh();
  return section;
}

function numberItem(number, names, status, refresh) {
  const item = h("li", { class: "card" },
    h("h3", { class: "card-title" }, number.phone),
    h("p", { class: "meta" }, t("calls_from_name", { name: names[number.contact_id] || "" })),
    h("p", null, statusBadge(number.status, "number_")),
    number.reason ? h("p", null, t("reason", { reason: number.reason })) : null);
  if (number.status === "pending_verification") {
    const code = field({ label: t("number_code"), name: "code", inputmode: "numeric", autocomplete: "one-time-code",
                         maxlength: 16 });
    const confirm = h("button", { type: "submit" }, t("confirm_number"));
    const form = h("form", { novalidate: true, class: "decision" }, code, confirm);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(confirm, async () => {
        try {
          await api.post(`/v1/call-numbers/${encodeURIComponent(number.number_id)}/verify`,
                         { code: code.input.value.trim() });
          status.say(t("number_confirmed"), "success");
          await refresh();
        } catch (error) { showError(status, error, { code }); }
      });
    });
    item.append(form);
  }
  const remove = h("button", { type: "button", class: "danger", "aria-label": t("remove_number_named", { phone: number.phone }) },
                   t("remove_number"));
  remove.addEventListener("click", () => busy(remove, async () => {
    try {
      await api.del(`/v1/call-numbers/${encodeURIComponent(number.number_id)}`);
      status.say(t("number_removed"), "success");
      await refresh();
    } catch (error) { showError(status, error); }
  }));
  item.append(h("div", { class: "actions" }, remove));
  return item;
}

function balanceSection(facilityId, name) {
  const titleId = `calling-${facilityId}`;
  const line = h("p", { class: "balance", "aria-live": "polite" });
  const status = statusRegion();
  const show = async () => {
    const balance = await api.get(`/v1/calling/${encodeURIComponent(facilityId)}`);
    line.textContent = t("calling_balance", { balance: money(balance.balance_cents) });
    if (balance.held_cents) line.append(" ", t("calling_held", { held: money(balance.held_cents) }));
    refund.disabled = !balance.balance_cents;
  };
  const amount = field({ label: t("amount_dollars"), name: "amount_cents", inputmode: "decimal", hint: t("calling_no_fee") });
  const card = cardField();
  const add = h("button", { type: "submit", class: "primary" }, t("add_to_balance"));
  const refund = h("button", { type: "button" }, t("refund_balance"));
  const form = h("form", { novalidate: true }, amount, card, h("div", { class: "actions" }, add));
  let key = null; let keyFor = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    amount.setError("");
    const cents = dollars(amount.input.value);
    if (!cents) { amount.setError(t("amount_invalid")); amount.input.focus(); return; }
    busy(add, async () => {
      try {
        const body = { account: "calling", facility_id: facilityId, amount_cents: cents,
                       payment_method_token: await card.token() };
        const signature = JSON.stringify(body);
        if (key === null || keyFor !== signature) { key = newKey(); keyFor = signature; }
        const deposit = await api.post("/v1/deposits", body, { idempotencyKey: key });
        key = null;
        amount.input.value = "";
        status.say(t("calling_added", { amount: money(deposit.amount_cents) }), "success");
        await show();
      } catch (error) { showError(status, error, { amount_cents: amount }); }
    });
  });
  refund.addEventListener("click", () => busy(refund, async () => {
    try {
      const done = await api.post(`/v1/calling/${encodeURIComponent(facilityId)}/refund`);
      status.say(done.status === "refund_pending" ? t("calling_refund_pending", { amount: money(done.amount_cents) })
                                                  : t("calling_refunded", { amount: money(done.amount_cents) }), "success");
      await show();
    } catch (error) { showError(status, error); }
  }));
  show().catch((error) => showError(status, error));
  return h("section", { "aria-labelledby": titleId, class: "panel" },
    h("h2", { id: titleId }, t("calling_title", { facility: name })), line, status, form,
    h("p", { class: "hint" }, t("refund_balance_hint")), h("div", { class: "actions" }, refund));
}

function callsSection() {
  const status = statusRegion();
  const list = h("ul", { class: "cards" }, h("li", null, loading()));
  api.get(withQuery("/v1/calls", { limit: 50 })).then((page) => {
    list.textContent = "";
    if (!page.items.length) { list.append(h("li", { class: "empty" }, t("no_calls"))); return; }
    for (const call of page.items) {
      list.append(h("li", { class: "card" },
        h("p", null, h("strong", null, call.dialed_number), " · ", h("time", { datetime: call.started_at }, when(call.started_at))),
        h("p", { class: "meta" }, duration(call.duration_seconds), " · ", money(call.charge_cents),
          call.end_cause ? ` · ${t("end_" + call.end_cause)}` : "")));
    }
  }).catch((error) => { list.textContent = ""; showError(status, error); });
  return h("section", { "aria-labelledby": "calls-list-title" },
    h("h2", { id: "calls-list-title" }, t("calls_list_title")), status, list);
}

export async function statement(main, { params }) {
  main.append(heading(t("statement_title")));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let places;
  try { places = await facilities(); } catch (error) { spinner.remove(); main.append(status); showError(status, error); return; }
  spinner.remove();
  const now = new Date();
  const thisMonth = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const month = field({ label: t("statement_month"), name: "month", type: "month", value: params.get("month") || thisMonth,
                        hint: t("statement_month_hint"), pattern: "\\d{4}-\\d{2}" });
  const facility = field({ label: t("facility"), name: "facility_id",
                           options: Object.values(places).map((f) => [f.facility_id, f.name]) });
  const show = h("button", { type: "submit", class: "primary" }, t("show_statement"));
  const result = h("div");
  const form = h("form", { novalidate: true }, month, facility, h("div", { class: "actions" }, show));
  main.append(form, status, result);
  const load = () => busy(show, async () => {
    result.textContent = "";
    status.say("");
    month.setError("");
    if (!/^\d{4}-\d{2}$/.test(month.input.value)) { month.setError(t("statement_month_hint")); return; }
    try {
      const found = await api.get(withQuery(`/v1/statements/${encodeURIComponent(month.input.value)}`,
                                            { facility_id: facility.input.value }));
      const deposits = found.deposits || [];
      const refunds = found.refunds || [];
      result.append(h("h2", null, t("statement_of", { month: found.month })),
        h("dl", { class: "figures", id: "statement" },
          h("dt", null, t("statement_opening")), h("dd", null, money(found.opening_balance_cents)),
          h("dt", null, t("statement_closing")), h("dd", null, money(found.closing_balance_cents)),
          h("dt", null, t("statement_calls")), h("dd", null, t("statement_calls_line", {
            count: (found.calls || []).length, total: money(found.call_charges_cents) })),
          h("dt", null, t("statement_stamps")), h("dd", null, String((found.stamps || []).length))),
        h("h3", null, t("statement_deposits")),
        deposits.length ? h("ul", null, deposits.map((d) => h("li", null, when(d.created_at), " · ",
          t("account_" + d.account), " · ", money(d.amount_cents)))) : empty(t("statement_none")),
        h("h3", null, t("statement_refunds")),
        refunds.length ? h("ul", null, refunds.map((r) => h("li", null, when(r.created_at), " · ",
          money(r.amount_cents)))) : empty(t("statement_none")));
    } catch (error) { showError(status, error, { month }); }
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}
