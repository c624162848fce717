// Where the card comes from.  Locally the API's test processor takes test tokens; Stripe
// Elements (prod) loads Stripe's own script from js.stripe.com, which this app's CSP forbids
// today: adding it is a decision of its own (README "Family web app", what is left).
import { field } from "../dom.js";
import { t } from "../i18n.js";

export function cardField() {
  const card = field({ label: t("card"), name: "payment_method_token", hint: t("card_test_hint"),
                       options: [["tok_visa", t("card_test_visa")], ["tok_declined", t("card_test_declined")]] });
  card.token = () => card.input.value;
  return card;
}
