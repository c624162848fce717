// Where the card comes from.  A stage with a Stripe publishable key (./stage.json, made from the
// stage's settings) gets Stripe Elements: Stripe.js from js.stripe.com (the CSP of such a stage
// allows exactly Stripe's origins), a card Element, and the PaymentMethod it creates sent to the
// API.  Without one (locally) the API's test tokens are offered.  The same PaymentMethod is
// reused until the card is edited, so a retried payment keeps its Idempotency-Key.
import { field, h, uid } from "../dom.js";
import { language, t } from "../i18n.js";

const STRIPE_JS = "https://js.stripe.com/v3/";
let stage = null;
let stripeScript = null;

function stageSettings() {
  stage ||= fetch("./stage.json").then((answer) => (answer.ok ? answer.json() : {})).catch(() => ({}));
  return stage;
}

function loadStripe() {
  stripeScript ||= new Promise((resolve, reject) => {
    const script = h("script", { src: STRIPE_JS });
    script.addEventListener("load", () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("no Stripe"))));
    script.addEventListener("error", () => { stripeScript = null; reject(new Error("Stripe.js did not load")); });
    document.head.append(script);
  });
  return stripeScript;
}

function testTokens() {
  return field({ label: t("card"), name: "payment_method_token", hint: t("card_test_hint"),
                 options: [["tok_visa", t("card_test_visa")], ["tok_declined", t("card_test_declined")]] });
}

function stripeCard(Stripe, key, wrapper) {
  const stripe = Stripe(key);
  const element = stripe.elements({ locale: language() }).create("card");
  const labelId = uid("card-label");
  const box = h("div", { class: "stripe-card", id: uid("stripe-card") });
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  wrapper.replaceChildren(h("div", { class: "field", role: "group", "aria-labelledby": labelId },
    h("p", { class: "label", id: labelId }, t("card")), box, error));
  element.mount(box);
  let created = null;
  element.on("change", (event) => {
    created = null;
    error.textContent = event.error ? event.error.message : "";
    error.hidden = !event.error;
  });
  return async () => {
    if (created) return created;
    const result = await stripe.createPaymentMethod({ type: "card", card: element });
    if (result.error) throw { detail: result.error.message || t("failed") };
    created = result.paymentMethod.id;
    return created;
  };
}

// The card entry: ``await card.token()`` is what goes in ``payment_method_token``.
export function cardField() {
  const wrapper = h("div", { class: "card-entry" }, h("p", { class: "loading" }, t("loading")));
  const ready = stageSettings().then(async (settings) => {
    const key = settings.stripe_publishable_key;
    if (!key) {
      const tokens = testTokens();
      wrapper.replaceChildren(tokens);
      return async () => tokens.input.value;
    }
    try {
      return stripeCard(await loadStripe(), key, wrapper);
    } catch {
      wrapper.replaceChildren(h("p", { class: "error", role: "alert" }, t("card_unavailable")));
      return async () => { throw { detail: t("card_unavailable") }; };
    }
  });
  wrapper.token = async () => (await ready)();
  return wrapper;
}
