// Visits: slots by week for an approved contact, a 10-minute hold counted down, booking (a card,
// or the calling balance for a video visit), the list, one visit with its timeline (#/visits/<id>,
// where the visit emails link), cancelling with the refund shown, and joining a video visit.
// Times are the facility's (its IANA zone from GET /v1/facilities), labelled with the zone's name,
// so a family in another zone books the hour the facility means.
import { api, withQuery } from "../api.js";
import { busy, empty, field, h, heading, link, loading, showError, statusRegion, uid } from "../dom.js";
import { t } from "../i18n.js";
import { locale, money, newKey, wait, when, zoneName } from "../format.js";
import { go } from "../state.js";
import { allContacts, facilities, statusBadge } from "./family.js";
import { cardField } from "./payment.js";

const LIVE = new Set(["requested", "scheduled"]);
const FULL_REFUND_MS = 3_600_000;  // the family cancels for a full refund up to an hour before
const ROLES = new Set(["family", "staff", "admin", "system", "inmate"]);

const DAY_MS = 86_400_000;

function inZone(zone) { return zone ? { timeZone: zone } : {}; }

// The date (YYYY-MM-DD) it is at ``date`` in ``zone``.
function localDate(date, zone) {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...inZone(zone) })
    .format(date);
}

// A calendar day (YYYY-MM-DD) in words: noon UTC of that day, read in UTC, is that day everywhere.
function longDay(day) {
  return new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" })
    .format(new Date(`${day}T12:00:00Z`));
}

function shortDay(day) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${day}T12:00:00Z`));
}

function clock(iso, zone) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "short", ...inZone(zone) }).format(new Date(iso));
}

// "Times are Demo County Jail's local time (Eastern Standard Time)."
function zoneNote(place) {
  if (!place?.timezone) return null;
  return h("p", { class: "hint zone-note" },
           t("times_in_zone", { facility: place.name, zone: zoneName(new Date(), place.timezone) }));
}

export async function visits(main) {
  main.append(heading(t("visits_title")),
    h("p", { class: "actions" }, link("#/visits/new", t("book_visit"), { class: "button primary" })));
  const spinner = loading();
  const status = statusRegion();
  main.append(spinner, status);
  try {
    const [page, places] = await Promise.all([api.get(withQuery("/v1/visits", { limit: 50 })), facilities()]);
    spinner.remove();
    if (!page.items.length) { main.append(empty(t("no_visits"))); return; }
    main.append(h("ul", { class: "cards" }, page.items.map((visit) => h("li", { class: "card" },
      h("h2", { class: "card-title" }, link(`#/visits/${encodeURIComponent(visit.visit_id)}`,
        t("visit_line", { mode: t("mode_" + visit.mode), name: visit.inmate_name }))),
      h("p", { class: "meta" }, h("time", { datetime: visit.starts_at },
        when(visit.starts_at, places[visit.facility_id]?.timezone))),
      h("p", null, statusBadge(visit.status, "visit_"))))));
  } catch (error) { spinner.remove(); showError(status, error); }
}

export async function bookVisit(main, { params }) {
  main.append(heading(t("book_visit_title")));
  const status = statusRegion();
  const spinner = loading();
  main.append(spinner);
  let approved; let places;
  try {
    const [items, found] = await Promise.all([allContacts(), facilities()]);
    approved = items.filter((c) => c.status === "approved");
    places = found;
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
  const zoneBox = h("div");
  const holdBox = h("section", { class: "panel", hidden: true, "aria-labelledby": "hold-title" });
  // The hold sits above the week: on a phone the week is a long list, and the hold is what to do next.
  main.append(h("form", { novalidate: true, onsubmit: (event) => event.preventDefault() }, person, modes),
    status, holdBox, h("section", { "aria-labelledby": weekId }, weekTitle, zoneBox,
      h("div", { class: "actions" }, previous, next), slotsBox));

  const contact = () => approved.find((c) => c.contact_id === person.input.value);
  const mode = () => main.querySelector(`input[name="${modeName}"]:checked`).value;
  let offset = 0; let ticket = 0; let countdown = null;
  const dropHold = () => { clearInterval(countdown); holdBox.hidden = true; holdBox.textContent = ""; };

  const load = async () => {
    const mine = ++ticket;
    const who = contact();
    const zone = places[who.facility_id]?.timezone;
    const from = localDate(new Date(Date.now() + offset * 7 * DAY_MS), zone);  // the facility's today
    const to = localDate(new Date(Date.parse(`${from}T12:00:00Z`) + 6 * DAY_MS), "UTC");
    weekTitle.textContent = t("week_of", { from: shortDay(from), to: shortDay(to) });
    zoneBox.replaceChildren(zoneNote(places[who.facility_id]) || "");
    previous.disabled = offset === 0;
    slotsBox.replaceChildren(loading());
    try {
      const answer = await api.get(withQuery(
        `/v1/facilities/${encodeURIComponent(who.facility_id)}/visit-slots`,
        { inmate_id: who.inmate_id, mode: mode(), from, to }));
      if (mine !== ticket) return;
      slotsBox.textContent = "";
      const open = answer.items.filter((slot) => slot.available > 0);
      if (!open.length) {
        slotsBox.append(empty(answer.next_bookable_date
          ? t("no_slots_until", { date: shortDay(answer.next_bookable_date) })
          : t("no_slots")));
        return;
      }
      const days = new Map();
      for (const slot of open) {
        const day = localDate(new Date(slot.starts_at), zone);
        if (!days.has(day)) days.set(day, []);
        days.get(day).push(slot);
      }
      for (const [day, items] of days) {
        slotsBox.append(h("h3", null, longDay(day)),
          h("ul", { class: "slots" }, items.map((slot) => h("li", null, h("button", {
            type: "button", onclick: (event) => hold(event.currentTarget, slot, who),
          }, t("slot_button", { time: clock(slot.starts_at, zone), count: slot.available }))))));
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
    const zone = places[who.facility_id]?.timezone;
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
      h("p", null, t("hold_slot", { day: longDay(localDate(new Date(slot.starts_at), zone)),
                                   time: `${clock(slot.starts_at, zone)}${zone ? ` ${zoneName(new Date(slot.starts_at), zone, "short")}` : ""}`,
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
      busy(book, async () => {
        holdStatus.say(t("booking"));
        try {
          const body = { hold_id: held.hold_id };
          if (payWith() === "card") body.payment_method_token = await card.token();
          if (payWith() === "balance") body.use_calling_balance = true;
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

function timelineLine(line, zone) {
  return h("li", null, h("time", { datetime: line.at }, when(line.at, zone)), " · ",
           t("visit_" + line.status), ROLES.has(line.by_role) ? ` · ${t("by_" + line.by_role)}` : "");
}

export async function visit(main, { args }) {
  const id = decodeURIComponent(args[0]);
  main.append(heading(t("visit_title")));
  const status = statusRegion();
  const spinner = loading();
  const body = h("div");
  main.append(spinner, status, body);
  let place = null;
  const draw = (shown) => {
    const zone = place?.timezone;
    body.textContent = "";
    const starts = Date.parse(shown.starts_at);
    const cancelled = shown.status === "cancelled" || shown.status === "declined";
    body.append(h("dl", { class: "figures", id: "visit-details" },
      h("dt", null, t("visit_with")), h("dd", null, shown.inmate_name),
      h("dt", null, t("visit_mode")), h("dd", null, t("mode_" + shown.mode)),
      h("dt", null, t("visit_when")), h("dd", null, h("time", { datetime: shown.starts_at }, when(shown.starts_at, zone)),
                                       " – ", clock(shown.ends_at, zone)),
      h("dt", null, t("receipt_status")), h("dd", null, statusBadge(shown.status, "visit_")),
      shown.reason_text ? [h("dt", null, t("visit_reason")), h("dd", null, shown.reason_text)] : null,
      shown.price_cents ? [h("dt", null, t("visit_paid")), h("dd", null, money(shown.price_cents))] : null,
      cancelled && shown.price_cents
        ? [h("dt", null, t("visit_refund")), h("dd", null, h("strong", null, money(shown.refund_cents)))] : null),
      h("h2", null, t("timeline_title")),
      h("ol", { class: "timeline" }, (shown.timeline || []).map((line) => timelineLine(line, zone))));
    const note = zoneNote(place);
    if (note) body.append(note);
    if (shown.mode === "video" && (LIVE.has(shown.status) || shown.status === "in_progress")) {
      body.append(joinSection(shown, zone));
    }
    if (LIVE.has(shown.status) && Date.now() < starts) body.append(cancelSection(shown, starts, draw, status));
    body.append(h("p", { class: "links" }, link("#/visits", t("all_visits")), " · ",
      link(`#/support?category=visit&related=${encodeURIComponent(shown.visit_id)}`, t("ask_about_visit"))));
  };
  try {
    const [shown, places] = await Promise.all([api.get(`/v1/visits/${encodeURIComponent(id)}`), facilities()]);
    place = places[shown.facility_id] || null;
    spinner.remove();
    draw(shown);
  } catch (error) { spinner.remove(); showError(status, error); }
  return () => { if (stopVideo) stopVideo(); stopVideo = null; };
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

// The Chime SDK client library (webapp/vendor/chime-sdk.mjs, vendored by scripts/vendor_chime.sh),
// loaded only when a video visit is joined: the API's meeting and attendee become the SDK's
// MeetingSessionConfiguration, and the page says "connecting", "connected" or "could not connect".
const CONNECT_SECONDS = 20;
let stopVideo = null;  // the running session's stop, called when the person leaves the page

async function connectVideo(answer, say, videoBox) {
  say(t("video_connecting"));
  let sdk;
  try { sdk = await import("../../vendor/chime-sdk.mjs"); } catch { say(t("video_failed"), "error"); return null; }
  const logger = new sdk.ConsoleLogger("kinlink-visit", sdk.LogLevel.WARN);
  const devices = new sdk.DefaultDeviceController(logger);
  const configuration = new sdk.MeetingSessionConfiguration({ Meeting: answer.meeting }, { Attendee: answer.attendee });
  const session = new sdk.DefaultMeetingSession(configuration, logger, devices);
  const video = session.audioVideo;
  let settled = false;
  const fail = () => { if (!settled) { settled = true; say(t("video_failed"), "error"); } };
  const timer = setTimeout(() => { fail(); try { video.stop(); } catch { /* already stopped */ } }, CONNECT_SECONDS * 1000);
  video.addObserver({
    audioVideoDidStart: () => { settled = true; clearTimeout(timer); say(t("video_connected"), "success"); },
    audioVideoDidStop: () => { clearTimeout(timer); fail(); },
    videoTileDidUpdate: (tile) => {
      if (!tile.boundAttendeeId || tile.isContent) return;
      const element = h("video", { class: "video-tile", "aria-label": tile.localTile ? t("video_you") : t("video_them") });
      element.muted = tile.localTile;
      videoBox.append(element);
      video.bindVideoElement(tile.tileId, element);
    },
  });
  let camera = false;
  try {
    const microphones = await video.listAudioInputDevices();
    if (microphones.length) await video.startAudioInput(microphones[0].deviceId);
    const cameras = await video.listVideoInputDevices();
    if (cameras.length) { await video.startVideoInput(cameras[0].deviceId); camera = true; }
  } catch { /* no device or no permission: the visit can still connect to listen */ }
  try {
    video.start();
    if (camera) video.startLocalVideoTile();
  } catch { clearTimeout(timer); fail(); }
  stopVideo = () => { clearTimeout(timer); settled = true; try { video.stop(); } catch { /* already stopped */ } };
}

function joinSection(shown, zone) {
  const status = statusRegion();
  const details = h("div");
  const videoBox = h("div", { class: "video-tiles" });
  const join = h("button", { type: "button", class: "primary" }, t("join_visit"));
  join.addEventListener("click", () => busy(join, async () => {
    details.textContent = "";
    status.say("");
    try {
      const answer = await api.post(`/v1/visits/${encodeURIComponent(shown.visit_id)}/join`);
      const meeting = answer.meeting || {};
      const attendee = answer.attendee || {};
      details.append(h("dl", { class: "figures" },
        h("dt", null, t("join_meeting")), h("dd", null, h("code", null, meeting.MeetingId || "")),
        h("dt", null, t("join_region")), h("dd", null, meeting.MediaRegion || ""),
        h("dt", null, t("join_attendee")), h("dd", null, h("code", null, attendee.AttendeeId || ""))), videoBox);
      await connectVideo(answer, (text, kind) => status.say(text, kind), videoBox);
    } catch (error) {
      showError(status, error);
      const opens = error.problem?.opens_at;
      if (opens) status.append(h("p", null, t("join_opens_at", { when: when(opens, zone) })));
    }
  }));
  return h("section", { class: "panel", "aria-labelledby": "join-title" },
    h("h2", { id: "join-title" }, t("join_title")),
    h("p", null, t("join_intro", { when: when(shown.join_opens_at, zone) })),
    h("div", { class: "actions" }, join), status, details);
}
