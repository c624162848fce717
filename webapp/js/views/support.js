// Support tickets: the family's list, a new ticket (category, and the number of the deposit,
// message, visit or call it is about, filled in when opened from that page), one ticket's
// thread and a reply; and "Your data": the export downloaded as JSON, and deleting the account
// with what is kept said plainly.
import { api, forgetSession, withQuery } from "../api.js";
import { busy, empty, field, h, heading, link, loading, showError, showPasswordToggle, statusRegion, uid } from "../dom.js";
import { t } from "../i18n.js";
import { when } from "../format.js";
import { go, state } from "../state.js";
import { statusBadge } from "./family.js";

const CATEGORIES = ["deposit", "message", "visit", "call", "account", "other"];

export async function support(main, { params }) {
  main.append(heading(t("support_title")), h("p", null, t("support_intro")));
  const status = statusRegion();
  const list = h("ul", { class: "cards" }, h("li", null, loading()));
  main.append(h("section", { "aria-labelledby": "tickets-title" },
    h("h2", { id: "tickets-title" }, t("tickets_title")), status, list), newTicket(params));
  try {
    const page = await api.get(withQuery("/v1/support/tickets", { limit: 50 }));
    list.textContent = "";
    if (!page.items.length) list.append(h("li", { class: "empty" }, t("no_tickets")));
    for (const ticket of page.items) {
      list.append(h("li", { class: "card" },
        h("h3", { class: "card-title" }, link(`#/support/${encodeURIComponent(ticket.ticket_id)}`, ticket.subject)),
        h("p", { class: "meta" }, t("category_" + ticket.category), " · ", when(ticket.created_at)),
        h("p", null, statusBadge(ticket.status, "ticket_"),
          ticket.status === "open" ? ` ${t("respond_by", { when: when(ticket.respond_by) })}` : "")));
    }
  } catch (error) { list.textContent = ""; showError(status, error); }
}

function newTicket(params) {
  const status = statusRegion();
  const given = params.get("category");
  const category = field({ label: t("ticket_category"), name: "category",
                           value: CATEGORIES.includes(given) ? given : "other",
                           options: CATEGORIES.map((c) => [c, t("category_" + c)]) });
  const related = field({ label: t("ticket_related"), name: "related_id", required: false,
                          hint: t("ticket_related_hint"), value: params.get("related") || undefined, maxlength: 64 });
  const subject = field({ label: t("ticket_subject"), name: "subject", maxlength: 200 });
  const body = field({ label: t("ticket_body"), name: "body", type: "textarea", maxlength: 6000 });
  const send = h("button", { type: "submit", class: "primary" }, t("send_ticket"));
  const form = h("form", { novalidate: true, "aria-labelledby": "new-ticket-title" },
    h("h2", { id: "new-ticket-title" }, t("new_ticket_title")), category, related, subject, body,
    h("div", { class: "actions" }, send), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const f of [subject, body]) f.setError("");
    const missing = [subject, body].find((f) => !f.input.value.trim());
    if (missing) { missing.setError(t("required_field")); missing.input.focus(); return; }
    const request = { category: category.input.value, subject: subject.input.value.trim(), body: body.input.value.trim() };
    if (related.input.value.trim()) request.related_id = related.input.value.trim();
    busy(send, async () => {
      try {
        const ticket = await api.post("/v1/support/tickets", request);
        go(`#/support/${encodeURIComponent(ticket.ticket_id)}`);
      } catch (error) { showError(status, error, { subject, body, related_id: related }); }
    });
  });
  return form;
}

export async function ticket(main, { args }) {
  const id = decodeURIComponent(args[0]);
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let shown;
  try {
    shown = await api.get(`/v1/support/tickets/${encodeURIComponent(id)}`);
  } catch (error) { spinner.remove(); main.append(heading(t("support_title")), status); showError(status, error); return; }
  spinner.remove();
  main.append(heading(shown.subject),
    h("p", { class: "meta" }, t("category_" + shown.category), " · ", when(shown.created_at),
      shown.related_id ? [" · ", t("ticket_about", { id: shown.related_id })] : null),
    h("p", null, statusBadge(shown.status, "ticket_"),
      shown.status === "open" ? ` ${t("respond_by", { when: when(shown.respond_by) })}` : ""));
  const thread = h("ol", { class: "thread", "aria-labelledby": "ticket-thread-title" },
    h("li", { class: "message mine" }, h("p", { class: "meta" }, t("you_wrote"), " · ", when(shown.created_at)),
      h("p", { class: "body" }, shown.body)),
    ((shown.replies && shown.replies.items) || []).map((reply) => h("li", {
      class: `message ${reply.author_role === "family" ? "mine" : "theirs"}` },
      h("p", { class: "meta" }, reply.author_role === "family" ? t("you_wrote") : t("support_wrote", { name: reply.author_name }),
        " · ", when(reply.created_at)),
      h("p", { class: "body" }, reply.body))));
  main.append(h("h2", { id: "ticket-thread-title" }, t("ticket_thread")), thread);
  if (shown.status === "closed") {
    main.append(h("p", null, t("ticket_closed_note")), h("p", null, link("#/support", t("all_tickets"))));
    return;
  }
  const body = field({ label: t("your_reply"), name: "body", type: "textarea", maxlength: 6000, rows: 4 });
  const send = h("button", { type: "submit", class: "primary" }, t("send_reply"));
  const form = h("form", { novalidate: true }, body, h("div", { class: "actions" }, send), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    body.setError("");
    if (!body.input.value.trim()) { body.setError(t("required_field")); body.input.focus(); return; }
    busy(send, async () => {
      try {
        await api.post(`/v1/support/tickets/${encodeURIComponent(id)}/replies`, { body: body.input.value.trim() });
        go(`#/support/${encodeURIComponent(id)}`);
      } catch (error) { showError(status, error, { body }); }
    });
  });
  main.append(form, h("p", null, link("#/support", t("all_tickets"))));
}

// Every page of the export (a large one comes in pages of whole capabilities) in one document.
async function exportDocument() {
  let cursor = null;
  let whole = null;
  do {
    const page = await api.get(withQuery("/v1/account/export", { cursor }));
    if (whole === null) whole = { ...page, data: {} };
    Object.assign(whole.data, page.data || {});
    cursor = page.next_cursor;
  } while (cursor);
  delete whole.next_cursor;
  return whole;
}

export async function yourData(main) {
  main.append(heading(t("data_title")));
  const exportStatus = statusRegion();
  const fetchButton = h("button", { type: "button", class: "primary" }, t("export_data"));
  const saved = h("div", { class: "actions" });
  fetchButton.addEventListener("click", () => busy(fetchButton, async () => {
    saved.textContent = "";
    exportStatus.say(t("export_preparing"));
    try {
      const whole = await exportDocument();
      const name = `kinlink-data-${(whole.generated_at || new Date().toISOString()).slice(0, 10)}.json`;
      const file = h("a", { class: "button", id: "export-file", download: name,
                            href: URL.createObjectURL(new Blob([JSON.stringify(whole, null, 2)],
                                                                { type: "application/json" })) },
                     t("save_export", { name }));
      saved.append(file);
      exportStatus.say(t("export_ready"), "success");
      file.click();
    } catch (error) { showError(exportStatus, error); }
  }));
  main.append(h("section", { class: "panel", "aria-labelledby": "export-title" },
    h("h2", { id: "export-title" }, t("export_title")), h("p", null, t("export_intro")),
    h("div", { class: "actions" }, fetchButton), exportStatus, saved), deleteSection());
}

function deleteSection() {
  const status = statusRegion();
  const password = field({ label: t("current_password"), name: "current_password", type: "password",
                           autocomplete: "current-password" });
  const sureId = uid("sure");
  const sure = h("input", { type: "checkbox", id: sureId, required: true });
  const remove = h("button", { type: "submit", class: "danger" }, t("delete_account"));
  const form = h("form", { novalidate: true }, password, showPasswordToggle(password.input),
    h("div", { class: "check" }, sure, h("label", { for: sureId }, t("delete_understood"))),
    h("div", { class: "actions" }, remove), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    password.setError("");
    if (!password.input.value) { password.setError(t("enter_password")); password.input.focus(); return; }
    if (!sure.checked) { status.say(t("delete_tick_first"), "error"); sure.focus(); return; }
    busy(remove, async () => {
      try {
        const answer = await api.del("/v1/account", { current_password: password.input.value });
        state.deleted = answer;
        state.profile = null;
        forgetSession();  // its sessions ended with it; nothing to sign out
        go("#/deleted");
      } catch (error) { showError(status, error, { current_password: password }); }
    });
  });
  return h("section", { class: "panel", "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, t("delete_title")), h("p", null, t("delete_intro")), form);
}

export async function deleted(main) {
  main.append(heading(t("deleted_title")), h("p", null, t("deleted_intro")));
  const kept = state.deleted?.kept || [];
  if (!kept.length) { main.append(h("p", null, link("#/signin", t("nav_signin")))); return; }
  main.append(h("h2", null, t("kept_title")), h("ul", { class: "cards", id: "kept" }, kept.map((item) => h("li", { class: "card" },
    h("h3", { class: "card-title" }, item.record), h("p", null, item.reason),
    item.retain_until ? h("p", { class: "meta" }, t("kept_until", { when: when(item.retain_until) })) : null))),
  h("p", null, link("#/signup", t("nav_signup"))));
}
