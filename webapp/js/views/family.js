// What a family does today: contacts (find someone, ask to connect), messages (thread, stamps,
// compose with a photo, the outcome of each message and each part), deposits (the fee before
// paying, receipts).  A photo goes straight to the media bucket by the presigned POST the API
// returns (the CSP allows exactly that bucket's origin) and is shown from its presigned GET.
import { api, withQuery } from "../api.js";
import { busy, empty, field, h, heading, link, loading, photoPart, showError, statusRegion, uid } from "../dom.js";
import { t } from "../i18n.js";
import { money, newKey, when } from "../format.js";
import { go } from "../state.js";
import { cardField } from "./payment.js";

const MAX_BODY = 6000;
const PHOTO_TYPES = ["image/jpeg", "image/png"];
const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
const PROCESSING_POLLS = 8;

function pause(ms) { return new Promise((resolve) => { setTimeout(resolve, ms); }); }

// The photo uploaded to its slot, then looked at until the API has checked it (processing
// happens on that first look); returns its attachment id, or throws what to tell the person.
async function uploadPhoto(contactId, file) {
  const base = `/v1/contacts/${encodeURIComponent(contactId)}/attachments`;
  const slot = await api.post(base, { kind: "photo", content_type: file.type, size_bytes: file.size });
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.upload.fields)) form.append(name, value);
  form.append("file", file);
  let answer = null;
  try {
    answer = await fetch(slot.upload.url, { method: "POST", body: form, credentials: "omit" });
  } catch { /* the network or the bucket refused: said below */ }
  if (!answer || !answer.ok) throw { detail: t("photo_upload_failed") };
  for (let look = 0; look < PROCESSING_POLLS; look += 1) {
    const seen = await api.get(`${base}/${encodeURIComponent(slot.attachment_id)}`);
    if (seen.status === "ready") return slot.attachment_id;
    if (seen.status === "rejected") throw { detail: seen.reason || t("photo_rejected") };
    await pause(400 * (look + 1));
  }
  throw { detail: t("photo_still_processing") };
}


export async function allContacts() {
  const page = await api.get(withQuery("/v1/contacts", { limit: 100 }));
  return page.items;
}

export async function facilities() {
  const page = await api.get(withQuery("/v1/facilities", { limit: 100 }));
  return Object.fromEntries(page.items.map((f) => [f.facility_id, f]));
}

export function statusBadge(status, prefix = "status_") {
  return h("span", { class: `badge badge-${status}` }, t(prefix + status));
}

export async function contacts(main) {
  main.append(heading(t("contacts_title")),
    h("p", { class: "actions" }, link("#/contacts/find", t("find_someone"), { class: "button primary" })));
  const spinner = loading();
  const status = statusRegion();
  main.append(spinner, status);
  try {
    const [items, places] = await Promise.all([allContacts(), facilities()]);
    spinner.remove();
    if (!items.length) { main.append(empty(t("no_contacts"))); return; }
    main.append(h("ul", { class: "cards" }, items.map((contact) => h("li", { class: "card" },
      h("h2", { class: "card-title" }, contact.inmate_name),
      h("p", { class: "meta" }, t("inmate_number", { number: contact.inmate_number }), " · ",
        places[contact.facility_id]?.name || contact.facility_id),
      h("p", null, statusBadge(contact.status)),
      contact.status === "denied" && contact.reason ? h("p", null, t("reason", { reason: contact.reason })) : null,
      contact.status === "pending" ? h("p", { class: "hint" }, t("pending_explained")) : null,
      contact.status === "approved" ? h("p", { class: "actions" },
        link(`#/contacts/${encodeURIComponent(contact.contact_id)}/messages`, t("messages"), { class: "button",
          "aria-label": t("messages_with", { name: contact.inmate_name }) }),
        link(`#/deposits/new?contact=${encodeURIComponent(contact.contact_id)}`, t("send_money"), { class: "button",
          "aria-label": t("send_money_to", { name: contact.inmate_name }) }),
        link(`#/visits/new?contact=${encodeURIComponent(contact.contact_id)}`, t("book_visit"), { class: "button",
          "aria-label": t("book_visit_with", { name: contact.inmate_name }) })) : null))));
  } catch (error) { spinner.remove(); showError(status, error); }
}

export async function findInmate(main) {
  const status = statusRegion();
  main.append(heading(t("find_title")), h("p", null, t("find_intro")));
  const spinner = loading();
  main.append(spinner);
  let places;
  try { places = await facilities(); } catch (error) { spinner.remove(); main.append(status); showError(status, error); return; }
  spinner.remove();
  const facility = field({ label: t("facility"), name: "facility_id",
                           options: Object.values(places).map((f) => [f.facility_id, `${f.name} (${f.state})`]) });
  const query = field({ label: t("search_name_or_number"), name: "q", type: "search", hint: t("search_hint") });
  const button = h("button", { type: "submit", class: "primary" }, t("search"));
  const results = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true, role: "search" }, facility, query, h("div", { class: "actions" }, button));
  main.append(form, status, results);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    query.setError("");
    if (query.input.value.trim().length < 2) { query.setError(t("search_too_short")); query.input.focus(); return; }
    busy(button, async () => {
      results.textContent = "";
      status.say("");
      try {
        const page = await api.get(withQuery(`/v1/facilities/${encodeURIComponent(facility.input.value)}/inmates`,
                                             { q: query.input.value.trim(), limit: 20 }));
        if (!page.items.length) { results.append(empty(t("no_results"))); return; }
        results.append(h("h2", null, t("results_count", { count: page.items.length })),
          h("ul", { class: "cards" }, page.items.map((inmate) => {
            const ask = h("button", { type: "button", class: "primary",
                                      "aria-label": t("ask_to_connect_with", { name: inmate.full_name }) },
                          t("ask_to_connect"));
            ask.addEventListener("click", () => busy(ask, async () => {
              try {
                await api.post("/v1/contacts", { inmate_id: inmate.inmate_id });
                status.say(t("request_sent", { name: inmate.full_name }), "success");
                ask.replaceWith(h("p", { class: "success" }, t("request_sent_short")));
              } catch (error) { showError(status, error); }
            }));
            return h("li", { class: "card" }, h("h3", { class: "card-title" }, inmate.full_name),
                     h("p", { class: "meta" }, t("inmate_number", { number: inmate.inmate_number })), ask);
          })));
      } catch (error) { showError(status, error, { q: query }); }
    });
  });
}

function messageItem(message) {
  const mine = message.direction === "to_inmate";
  const parts = Array.isArray(message.parts) ? message.parts : [];
  return h("li", { class: `message ${mine ? "mine" : "theirs"}` },
    h("p", { class: "meta" }, mine ? t("you_wrote") : t("they_wrote", { name: message.inmate_name || "" }),
      " · ", h("time", { datetime: message.sent_at }, when(message.sent_at))),
    message.body ? h("p", { class: "body" }, message.body) : null,
    h("p", null, statusBadge(message.status, "message_")),
    message.status === "rejected" && message.rejection_reason
      ? h("p", { class: "reason" }, t("rejected_because", { reason: message.rejection_reason })) : null,
    parts.length ? h("ul", { class: "parts" }, parts.map((part) => h("li", null,
      `${part.part === "text" ? t("part_text") : t("part_attachment")}: `, statusBadge(part.status, "message_"),
      part.reason ? ` ${t("rejected_because", { reason: part.reason })}` : "",
      part.kind === "photo" ? photoPart(part) : null))) : null);
}

export async function thread(main, { args }) {
  const contactId = decodeURIComponent(args[0]);
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let contact; let place; let balance = 0; let photoPrice = 1;
  try {
    const [items, places, stamps] = await Promise.all([allContacts(), facilities(), api.get("/v1/stamps")]);
    contact = items.find((c) => c.contact_id === contactId);
    if (!contact) throw { detail: t("contact_not_found") };
    place = places[contact.facility_id];
    const policies = await api.get(`/v1/facilities/${encodeURIComponent(contact.facility_id)}/policies`);
    photoPrice = policies?.stamps?.photo_price_stamps ?? 1;
    balance = stamps.items.find((s) => s.facility_id === contact.facility_id)?.balance || 0;
  } catch (error) { spinner.remove(); main.append(heading(t("messages")), status); showError(status, error); return; }
  spinner.remove();
  main.append(heading(t("thread_title", { name: contact.inmate_name })));
  const balanceLine = h("p", { class: "balance", id: "stamp-balance", "aria-live": "polite" });
  const showBalance = () => {
    balanceLine.textContent = t("stamps_balance", { count: balance, facility: place?.name || contact.facility_id });
  };
  showBalance();
  if (contact.status !== "approved") {
    main.append(h("p", null, statusBadge(contact.status)), h("p", null, t("not_approved_yet")));
    return;
  }
  // Compose: one Idempotency-Key per message the person means to send; a retry after a lost
  // answer reuses it (no second stamp), a new text gets a new one.
  const body = field({ label: t("your_message"), name: "body", type: "textarea", maxlength: MAX_BODY,
                       hint: t("message_hint") });
  const counter = h("p", { class: "hint", id: uid("counter"), "aria-live": "off" }, t("characters_left", { count: MAX_BODY }));
  body.input.addEventListener("input", () => {
    counter.textContent = t("characters_left", { count: MAX_BODY - body.input.value.length });
    showPrice();
  });
  const send = h("button", { type: "submit", class: "primary" }, t("send_one_stamp"));
  const photo = field({ label: t("add_photo"), name: "photo", type: "file", required: false,
                        hint: t("photo_hint", { count: photoPrice }) });
  photo.input.setAttribute("accept", PHOTO_TYPES.join(","));
  const price = () => (body.input.value.trim() ? 1 : 0) + (photo.input.files.length ? photoPrice : 0);
  const showPrice = () => {
    const stamps = Math.max(1, price());
    send.textContent = stamps === 1 ? t("send_one_stamp") : t("send_stamps", { count: stamps });
  };
  photo.input.addEventListener("change", () => { photo.setError(""); showPrice(); });
  const form = h("form", { novalidate: true, "aria-labelledby": "compose-title" },
    h("h2", { id: "compose-title" }, t("compose_title")), balanceLine, body, counter, photo,
    h("div", { class: "actions" }, send), status);
  let key = null; let keyBody = null; let uploaded = null;
  const list = h("ol", { class: "thread", "aria-labelledby": "thread-list-title" });
  const listStatus = statusRegion();
  const refresh = async () => {
    try {
      const page = await api.get(withQuery(`/v1/contacts/${encodeURIComponent(contactId)}/messages`, { limit: 50 }));
      list.textContent = "";
      if (!page.items.length) list.append(h("li", { class: "empty" }, t("no_messages")));
      for (const message of page.items) list.append(messageItem(message));
    } catch (error) { showError(listStatus, error); }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    body.setError("");
    photo.setError("");
    const text = body.input.value;
    const file = photo.input.files[0] || null;
    if (!text.trim() && !file) { body.setError(t("message_empty")); body.input.focus(); return; }
    if (file && (!PHOTO_TYPES.includes(file.type) || file.size > PHOTO_MAX_BYTES)) {
      photo.setError(t("photo_wrong_file")); photo.input.focus(); return;
    }
    // The same text and photo again (a retry) keep their key and their upload: sent once.
    const what = `${text}\u0000${file ? `${file.name}:${file.size}:${file.lastModified}` : ""}`;
    if (key === null || keyBody !== what) { key = newKey(); keyBody = what; }
    busy(send, async () => {
      try {
        const message = text.trim() ? { body: text } : {};
        if (file) {
          if (!uploaded || uploaded.file !== file) {
            status.say(t("photo_uploading"));
            uploaded = { file, id: await uploadPhoto(contactId, file) };
          }
          message.attachment_ids = [uploaded.id];
        }
        const sent = await api.post(`/v1/contacts/${encodeURIComponent(contactId)}/messages`, message,
                                    { idempotencyKey: key });
        key = null;
        uploaded = null;
        photo.input.value = "";
        body.input.value = "";
        showPrice();
        counter.textContent = t("characters_left", { count: MAX_BODY });
        if (typeof sent.stamps_left === "number") balance = sent.stamps_left;
        showBalance();
        status.say(t("message_sent"), "success");
        await refresh();
      } catch (error) {
        showError(status, error, { body, attachment_ids: photo });
        if (error.code === "insufficient_stamps") { buy.open = true; buy.querySelector("select")?.focus(); }
      }
    });
  });
  const buy = buyStamps(contact.facility_id, place, (left) => { balance = left; showBalance(); }, balance === 0);
  main.append(form, buy, h("section", { "aria-labelledby": "thread-list-title" },
    h("h2", { id: "thread-list-title" }, t("thread_list_title")), listStatus, list));
  await refresh();
}

function buyStamps(facilityId, place, bought, open) {
  const status = statusRegion();
  const price = place?.stamp_price_cents || 0;
  const quantity = field({ label: t("stamps_to_buy"), name: "quantity",
                           options: [5, 10, 20, 50].map((n) => [String(n), t("stamps_option", { count: n, total: money(n * price) })]) });
  const card = cardField();
  const button = h("button", { type: "submit" }, t("buy_stamps"));
  const form = h("form", { novalidate: true, "aria-labelledby": "buy-title" },
    h("p", null, t("stamp_price", { price: money(price) })),
    quantity, card, h("div", { class: "actions" }, button), status);
  let key = null; let keyFor = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const body = { facility_id: facilityId, quantity: Number(quantity.input.value),
                       payment_method_token: await card.token() };
        const signature = JSON.stringify(body);
        if (key === null || keyFor !== signature) { key = newKey(); keyFor = signature; }
        const purchase = await api.post("/v1/stamps/purchase", body, { idempotencyKey: key });
        key = null;
        const stamps = await api.get("/v1/stamps");
        bought(stamps.items.find((s) => s.facility_id === facilityId)?.balance || 0);
        status.say(t("stamps_bought", { count: purchase.quantity, total: money(purchase.total_cents) }), "success");
      } catch (error) { showError(status, error); }
    });
  });
  // Folded away while there are stamps; open when there are none (or a send needed one).
  return h("details", { class: "panel", open: open || null },
           h("summary", { id: "buy-title" }, t("buy_stamps_title")), form);
}

export async function deposits(main) {
  main.append(heading(t("deposits_title")),
    h("p", { class: "actions" }, link("#/deposits/new", t("send_money"), { class: "button primary" })));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner, status);
  try {
    const [page, items] = await Promise.all([api.get(withQuery("/v1/deposits", { limit: 50 })), allContacts()]);
    spinner.remove();
    const names = Object.fromEntries(items.map((c) => [c.inmate_id, c.inmate_name]));
    if (!page.items.length) { main.append(empty(t("no_deposits"))); return; }
    main.append(h("ul", { class: "cards" }, page.items.map((deposit) => h("li", { class: "card" },
      h("h2", { class: "card-title" }, link(`#/deposits/${encodeURIComponent(deposit.deposit_id)}`,
        t("deposit_line", { amount: money(deposit.amount_cents), name: names[deposit.inmate_id] || deposit.inmate_id }))),
      h("p", { class: "meta" }, when(deposit.created_at), " · ", t("account_" + deposit.account), " · ",
        t("total_charged", { total: money(deposit.total_cents) })),
      h("p", null, statusBadge(deposit.status, "deposit_"))))));
  } catch (error) { spinner.remove(); showError(status, error); }
}

export async function newDeposit(main, { params }) {
  main.append(heading(t("new_deposit_title")));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let approved; let places;
  try {
    [approved, places] = await Promise.all([allContacts(), facilities()]);
    approved = approved.filter((c) => c.status === "approved");
  } catch (error) { spinner.remove(); main.append(status); showError(status, error); return; }
  spinner.remove();
  if (!approved.length) {
    main.append(empty(t("deposit_needs_contact")), h("p", null, link("#/contacts/find", t("find_someone"))));
    return;
  }
  const chosen = approved.find((c) => c.contact_id === params.get("contact")) || approved[0];
  const person = field({ label: t("deposit_to"), name: "inmate_id", value: chosen.inmate_id,
                         options: approved.map((c) => [c.inmate_id, `${c.inmate_name} (${c.inmate_number})`]) });
  const accountName = uid("account");
  const accounts = h("fieldset", { class: "choices" }, h("legend", null, t("deposit_account")),
    ["trust", "phone"].map((account, index) => {
      const id = `${accountName}-${account}`;
      return h("div", { class: "check" },
        h("input", { type: "radio", name: accountName, id, value: account, checked: index === 0 }),
        h("label", { for: id }, t("account_" + account)));
    }));
  const amount = field({ label: t("amount_dollars"), name: "amount_cents", inputmode: "decimal",
                         hint: t("amount_hint") });
  const quoteBox = h("div", { class: "quote", "aria-live": "polite", id: "quote" });
  const card = cardField();
  const pay = h("button", { type: "submit", class: "primary", disabled: true }, t("pay"));
  const form = h("form", { novalidate: true }, person, accounts, amount, quoteBox, card,
                 h("div", { class: "actions" }, pay), status);
  main.append(form);
  const limits = () => {
    const contact = approved.find((c) => c.inmate_id === person.input.value);
    const limit = places[contact?.facility_id]?.deposit_limits;
    amount.querySelector(".hint").textContent = limit
      ? t("amount_limits", { min: money(limit.min_cents), max: money(limit.max_cents) }) : t("amount_hint");
  };
  limits();
  const cents = () => {
    const text = amount.input.value.trim().replace(/^\$/, "").replace(",", ".");
    if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
    return Math.round(Number(text) * 100);
  };
  const account = () => form.querySelector(`input[name="${accountName}"]:checked`).value;
  let quote = null; let asked = 0; let key = null; let keyFor = null;
  let quoted = null;
  const requote = async () => {
    const value = cents();
    const asking = `${person.input.value} ${account()} ${value}`;
    if (quote && asking === quoted) return;  // leaving the field (change) asks nothing new
    quoted = asking;
    quote = null;
    pay.disabled = true;
    quoteBox.textContent = "";
    amount.setError("");
    if (value === null) { if (amount.input.value.trim()) amount.setError(t("amount_invalid")); return; }
    const ticket = ++asked;
    try {
      const answer = await api.get(withQuery("/v1/deposits/quote", { inmate_id: person.input.value,
                                                                     account: account(), amount_cents: value }));
      if (ticket !== asked) return;
      quote = answer;
      quoteBox.append(h("dl", { class: "figures" },
        h("dt", null, t("quote_amount")), h("dd", null, money(answer.amount_cents)),
        h("dt", null, t("quote_fee")), h("dd", null, money(answer.fee_cents)),
        h("dt", null, t("quote_total")), h("dd", null, h("strong", null, money(answer.total_cents)))));
      pay.textContent = t("pay_total", { total: money(answer.total_cents) });
      pay.disabled = false;
    } catch (error) {
      if (ticket === asked) showError(status, error, { amount_cents: amount });
    }
  };
  let debounce = null;
  amount.input.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(requote, 300); });
  amount.input.addEventListener("change", requote);
  person.input.addEventListener("change", () => { limits(); requote(); });
  accounts.addEventListener("change", requote);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!quote) { requote(); return; }
    busy(pay, async () => {
      status.say(t("paying"));
      try {
        const body = { inmate_id: person.input.value, account: account(), amount_cents: quote.amount_cents,
                       payment_method_token: await card.token() };
        const signature = JSON.stringify(body);
        if (key === null || keyFor !== signature) { key = newKey(); keyFor = signature; }
        const receipt = await api.post("/v1/deposits", body, { idempotencyKey: key });
        go(`#/deposits/${encodeURIComponent(receipt.deposit_id)}`);
      } catch (error) { showError(status, error, { amount_cents: amount }); }
    });
  });
  return () => clearTimeout(debounce);
}

export async function receipt(main, { args }) {
  const id = decodeURIComponent(args[0]);
  main.append(heading(t("receipt_title")));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner, status);
  try {
    const deposit = await api.get(`/v1/deposits/${encodeURIComponent(id)}`);
    spinner.remove();
    main.append(h("dl", { class: "figures receipt" },
      h("dt", null, t("receipt_number")), h("dd", null, h("code", null, deposit.deposit_id)),
      h("dt", null, t("receipt_date")), h("dd", null, when(deposit.created_at)),
      h("dt", null, t("deposit_account")), h("dd", null, t("account_" + deposit.account)),
      h("dt", null, t("quote_amount")), h("dd", null, money(deposit.amount_cents)),
      h("dt", null, t("quote_fee")), h("dd", null, money(deposit.fee_cents)),
      h("dt", null, t("quote_total")), h("dd", null, h("strong", null, money(deposit.total_cents))),
      h("dt", null, t("receipt_status")), h("dd", null, statusBadge(deposit.status, "deposit_")),
      deposit.refunded_at ? [h("dt", null, t("refunded_at")), h("dd", null, when(deposit.refunded_at))] : null),
      h("p", null, t("receipt_emailed")),
      h("p", null, link("#/deposits", t("all_deposits")), " · ",
        link(`#/support?category=deposit&related=${encodeURIComponent(deposit.deposit_id)}`, t("ask_about_deposit"))));
  } catch (error) { spinner.remove(); showError(status, error); }
}
