// Visits: slots by week for an approved contact, a 10-minute hold counted down, booking (a card,
// or the calling balance for a video visit), the list, one visit with its timeline (#/visits/<id>,
// where the visit emails link), cancelling with the refund shown, and joining a video visit.
// Times are shown in the browser's time zone (the facility's is not published yet).
import { api, withQuery } from "../api.js";
import { busy, empty, field, h, heading, link, loading, showError, statusRegion, uid } from "../dom.js";
import { language, t } from "../i18n.js";
import { money, newKey, wait, when } from "../format.js";
import { go } from "../state.js";
import { allContacts, facilities, statusBadge } from "./family.js";
import { cardField } from "./payment.js";

const LIVE = new Set(["requested", "scheduled"]);
const FULL_REFUND_MS = 3_600_000;  // the family cancels for a full refund up to an hour before
const ROLES = new Set(["family", "staff", "admin", "system", "inmate"]);

function locale() { return language() === "es" ? "es-US" : "en-US"; }

function localDate(date) {
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()]
    .map((n, i) => String(n).padStart(i ? 2 : 4, "0")).join("-");
}

function longDay(date) {
  return new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long" }).format(date);
}

function shortDay(date) { return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(date); }

function clock(iso) { return new Intl.DateTimeFormat(locale(), { timeStyle: "short" }).format(new Date(iso)); }

export async function visits(main) {
  main.append(heading(t("visits_title")),
    h("p", { class: "actions" }, link("#/visits/new", t("book_visit"), { class: "button primary" })));
  const spinner = loading();
  const status = statusRegion();
  main.append(spinner, status);
  try {
    const page = await api.get(withQuery("/v1/visits", { limit: 50 }));
    spinner.remove();
    if (!page.items.length) { main.append(empty(t("no_visits"))); return; }
    main.append(h("ul", { class: "cards" }, page.items.map((visit) => h("li", { class: "card" },
      h("h2", { class: "card-title" }, link(`#/visits/${encodeURIComponent(visit.visit_id)}`,
        t("visit_line", { mode: t("mode_" + visit.mode), name: visit.inmate_name }))),
      h("p", { class: "meta" }, h("time", { datetime: visit.starts_at }, when(visit.starts_at))),
      h("p", null, statusBadge(visit.status, "visit_"))))));
  } catch (error) { spinner.remove(); showError(status, error); }
}

export async function bookVisit(main, { params }) {
  main.append(heading(t("book_visit_title")));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let approved;
  try {
    approved = (await allContacts()).filter((c) => c.status === "approved");
  } catch (error) { spinner.remove(); main.append(status); showError(status, error); return undefined; }
  spinner.remove();
  if (!approved.length) {
    main.append(empty(t("visit_needs_contact")), h("p", null, link("#/contacts/find", t("find_someone"))));
    return undefined;
  }
  const chosen = approved.find((c) => c.contact_id === params.get("contact")) || approved[0];
  const person = field({ label: t("visit_with"), name: "contact_id", value: chosen.contact_id,
                         options: approved.map((c) => [c.contact_id, `${c.inmate_name} (${c.inmate_number})`]) });
  const modeName = uid("mode");
  const modes = h("fieldset", { class: "choices" }, h("legend", null, t("visit_mode")),
    ["video", "onsite"].map((mode, index) => {
      const id = `${modeName}-${mode}`;
      return h("div", { class: "check" },
        h("input", { type: "radio", name: modeName, id, value: mode, checked: index === 0 }),
        h("label", { for: id }, t("mode_" + mode)));
    }));
  const weekId = uid("week");
  const weekTitle = h("h2", { id: weekId });
  const previous = h("button", { type: "button" }, t("previous_week"));
  const next = h("button", { type: "button" }, t("next_week"));
  const slotsBox = h("div", { class: "slot-days" });
  const holdBox = h("section", { class: "panel", hidden: true, "aria-labelledby": "hold-title" });
  // The hold sits above the week: on a phone the week is a long list, and the hold is what to do next.
  main.append(h("form", { novalidate: true, onsubmit: (event) => event.preventDefault() }, person, modes),
    status, holdBox, h("section", { "aria-labelledby": weekId }, weekTitle,
      h("div", { class: "actions" }, previous, next), slotsBox));

  const contact = () => approved.find((c) => c.contact_id === person.input.value);
  const mode = () => main.querySelector(`input[name="${modeName}"]:checked`).value;
  let offset = 0; let ticket = 0; let countdown = null;
  const dropHold = () => { clearInterval(countdown); holdBox.hidden = true; holdBox.textContent = ""; };

  const load = async () => {
    const mine = ++ticket;
    const from = new Date();
    from.setHours(12, 0, 0, 0);
    from.setDate(from.getDate() + offset * 7);
    const to = new Date(from);
    to.setDate(to.getDate() + 6);
    weekTitle.textContent = t("week_of", { from: shortDay(from), to: shortDay(to) });
    previous.disabled = offset === 0;
    slotsBox.replaceChildren(loading());
    const who = contact();
    try {
      const answer = await api.get(withQuery(
        `/v1/facilities/${encodeURIComponent(who.facility_id)}/visit-slots`,
        { inmate_id: who.inmate_id, mode: mode(), from: localDate(from), to: localDate(to) }));
      if (mine !== ticket) return;
      slotsBox.textContent = "";
      const open = answer.items.filter((slot) => slot.available > 0);
      if (!open.length) {
        slotsBox.append(empty(answer.next_bookable_date
          ? t("no_slots_until", { date: shortDay(new Date(`${answer.next_bookable_date}T12:00:00`)) })
          : t("no_slots")));
        return;
      }
      const days = new Map();
      for (const slot of open) {
        const day = localDate(new Date(slot.starts_at));
        if (!days.has(day)) days.set(day, []);
        days.get(day).push(slot);
      }
      for (const [day, items] of days) {
        slotsBox.append(h("h3", null, longDay(new Date(`${day}T12:00:00`))),
          h("ul", { class: "slots" }, items.map((slot) => h("li", null, h("button", {
            type: "button", onclick: (event) => hold(event.currentTarget, slot, who),
          }, t("slot_button", { time: clock(slot.starts_at), count: slot.available }))))));
      }
    } catch (error) {
      if (mine !== ticket) return;
      slotsBox.textContent = "";
      showError(status, error);
    }
  };

  const hold = (button, slot, who) => busy(button, async () => {
    status.say("");
    try {
      const held = await api.post("/v1/visits/holds", { slot_id: slot.slot_id, inmate_id: who.inmate_id });
      await showHold(held, slot, who);
    } catch (error) {
      showError(status, error);
      if (["slot_full", "allowance_used", "inmate_unavailable"].includes(error.code)) load();
    }
  });

  const showHold = async (held, slot, who) => {
    dropHold();
    const minutes = Math.round((Date.parse(slot.ends_at) - Date.parse(slot.starts_at)) / 60000);
    let rate = 0; let balance = 0;
    if (slot.mode === "video") {
      const [policies, calling] = await Promise.all([
        api.get(`/v1/facilities/${encodeURIComponent(who.facility_id)}/policies`),
        api.get(`/v1/calling/${encodeURIComponent(who.facility_id)}`)]);
      rate = policies?.visit_rules?.policy?.video?.price_cents_per_minute || 0;
      balance = calling.balance_cents || 0;
    }
    const price = rate * minutes;
    const timer = h("span", { class: "countdown", role: "timer" });
    const book = h("button", { type: "submit", class: "primary" },
                   price ? t("book_and_pay", { total: money(price) }) : t("book_this_visit"));
    const holdStatus = statusRegion();
    const payName = uid("pay");
    const card = cardField();
    const payment = price ? h("fieldset", { class: "choices" }, h("legend", null, t("pay_with")),
      [["card", t("pay_with_card")], ["balance", t("pay_with_balance", { balance: money(balance) })]]
        .map(([value, text], index) => h("div", { class: "check" },
          h("input", { type: "radio", name: payName, id: `${payName}-${value}`, value, checked: index === 0 }),
          h("label", { for: `${payName}-${value}` }, text)))) : null;
    const form = h("form", { novalidate: true },
      h("h2", { id: "hold-title" }, t("hold_title")),
      h("p", null, t("hold_slot", { day: longDay(new Date(slot.starts_at)), time: clock(slot.starts_at),
                                   name: who.inmate_name, mode: t("mode_" + slot.mode) })),
      h("p", null, t("hold_left"), " ", timer),
      h("p", null, price ? t("visit_price", { total: money(price), minutes, rate: money(rate) })
                         : t("visit_free")),
      payment, payment ? card : null, h("div", { class: "actions" }, book), holdStatus);
    holdBox.append(form);
    holdBox.hidden = false;
    const payWith = () => (payment ? form.querySelector(`input[name="${payName}"]:checked`).value : null);
    if (payment) payment.addEventListener("change", () => { card.hidden = payWith() !== "card"; });
    const expires = Date.parse(held.expires_at);
    const tick = () => {
      const left = (expires - Date.now()) / 1000;
      timer.textContent = wait(left);
      if (left > 0) return;
      clearInterval(countdown);
      book.disabled = true;
      holdStatus.say(t("hold_expired"), "error");
      load();
    };
    tick();
    countdown = setInterval(tick, 1000);
    const key = newKey();  // one booking per hold: a retry after a lost answer books once
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { hold_id: held.hold_id };
      if (payWith() === "card") body.payment_method_token = card.token();
      if (payWith() === "balance") body.use_calling_balance = true;
      busy(book, async () => {
        holdStatus.say(t("booking"));
        try {
          const booked = await api.post("/v1/visits", body, { idempotencyKey: key });
          clearInterval(countdown);
          go(`#/visits/${encodeURIComponent(booked.visit_id)}`);
        } catch (error) { showError(holdStatus, error); }
      });
    });
    form.querySelector("h2").setAttribute("tabindex", "-1");
    form.querySelector("h2").focus();
  };

  previous.addEventListener("click", () => { offset = Math.max(0, offset - 1); dropHold(); load(); });
  next.addEventListener("click", () => { offset += 1; dropHold(); load(); });
  person.input.addEventListener("change", () => { dropHold(); load(); });
  modes.addEventListener("change", () => { dropHold(); load(); });
  await load();
  return () => { ticket += 1; clearInterval(countdown); };
}

function timelineLine(line) {
  return h("li", null, h("time", { datetime: line.at }, when(line.at)), " · ",
           t("visit_" + line.status), ROLES.has(line.by_role) ? ` · ${t("by_" + line.by_role)}` : "");
}

export async function visit(main, { args }) {
  const id = decodeURIComponent(args[0]);
  main.append(heading(t("visit_title")));
  const status = statusRegion();
  const spinner = loading();
  const body = h("div");
  main.append(spinner, status, body);
  const draw = (shown) => {
    body.textContent = "";
    const starts = Date.parse(shown.starts_at);
    const cancelled = shown.status === "cancelled" || shown.status === "declined";
    body.append(h("dl", { class: "figures", id: "visit-details" },
      h("dt", null, t("visit_with")), h("dd", null, shown.inmate_name),
      h("dt", null, t("visit_mode")), h("dd", null, t("mode_" + shown.mode)),
      h("dt", null, t("visit_when")), h("dd", null, h("time", { datetime: shown.starts_at }, when(shown.starts_at)),
                                       " – ", clock(shown.ends_at)),
      h("dt", null, t("receipt_status")), h("dd", null, statusBadge(shown.status, "visit_")),
      shown.reason_text ? [h("dt", null, t("visit_reason")), h("dd", null, shown.reason_text)] : null,
      shown.price_cents ? [h("dt", null, t("visit_paid")), h("dd", null, money(shown.price_cents))] : null,
      cancelled && shown.price_cents
        ? [h("dt", null, t("visit_refund")), h("dd", null, h("strong", null, money(shown.refund_cents)))] : null),
      h("h2", null, t("timeline_title")),
      h("ol", { class: "timeline" }, (shown.timeline || []).map(timelineLine)));
    if (shown.mode === "video" && (LIVE.has(shown.status) || shown.status === "in_progress")) {
      body.append(joinSection(shown));
    }
    if (LIVE.has(shown.status) && Date.now() < starts) body.append(cancelSection(shown, starts, draw, status));
    body.append(h("p", { class: "links" }, link("#/visits", t("all_visits")), " · ",
      link(`#/support?category=visit&related=${encodeURIComponent(shown.visit_id)}`, t("ask_about_visit"))));
  };
  try {
    const shown = await api.get(`/v1/visits/${encodeURIComponent(id)}`);
    spinner.remove();
    draw(shown);
  } catch (error) { spinner.remove(); showError(status, error); }
}

function cancelSection(shown, starts, draw, status) {
  const refund = Date.now() <= starts - FULL_REFUND_MS ? shown.price_cents : 0;
  const ask = h("button", { type: "button", class: "danger" }, t("cancel_visit"));
  const confirm = h("button", { type: "button", class: "danger" }, t("cancel_visit_confirm"));
  const keep = h("button", { type: "button" }, t("keep_visit"));
  const confirming = h("div", { class: "actions", hidden: true }, confirm, keep);
  ask.addEventListener("click", () => { ask.hidden = true; confirming.hidden = false; confirm.focus(); });
  keep.addEventListener("click", () => { confirming.hidden = true; ask.hidden = false; ask.focus(); });
  confirm.addEventListener("click", () => busy(confirm, async () => {
    try {
      const done = await api.post(`/v1/visits/${encodeURIComponent(shown.visit_id)}/cancel`);
      draw(done);
      status.say(done.refund_cents ? t("visit_cancelled_refund", { amount: money(done.refund_cents) })
                                   : t("visit_cancel_done"), "success");
    } catch (error) { showError(status, error); }
  }));
  return h("section", { class: "panel", "aria-labelledby": "cancel-title" },
    h("h2", { id: "cancel-title" }, t("cancel_title")),
    h("p", null, refund ? t("cancel_full_refund", { amount: money(refund) })
                        : shown.price_cents ? t("cancel_no_refund") : t("cancel_free")),
    h("div", { class: "actions" }, ask), confirming);
}

function joinSection(shown) {
  const status = statusRegion();
  const details = h("div");
  const join = h("button", { type: "button", class: "primary" }, t("join_visit"));
  join.addEventListener("click", () => busy(join, async () => {
    details.textContent = "";
    status.say("");
    try {
      const answer = await api.post(`/v1/visits/${encodeURIComponent(shown.visit_id)}/join`);
      const meeting = answer.meeting || {};
      const attendee = answer.attendee || {};
      status.say(t("join_ready"), "success");
      details.append(h("dl", { class: "figures" },
        h("dt", null, t("join_meeting")), h("dd", null, h("code", null, meeting.MeetingId || "")),
        h("dt", null, t("join_region")), h("dd", null, meeting.MediaRegion || ""),
        h("dt", null, t("join_attendee")), h("dd", null, h("code", null, attendee.AttendeeId || ""))));
    } catch (error) {
      showError(status, error);
      const opens = error.problem?.opens_at;
      if (opens) status.append(h("p", null, t("join_opens_at", { when: when(opens) })));
    }
  }));
  return h("section", { class: "panel", "aria-labelledby": "join-title" },
    h("h2", { id: "join-title" }, t("join_title")),
    h("p", null, t("join_intro", { when: when(shown.join_opens_at) })),
    h("div", { class: "actions" }, join), status, details);
}
