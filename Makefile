# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Every target creates .venv on first use and re-installs it when a requirements file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Person-facing words: extract the English ids from code and templates, merge them into each
# language's .po file (translate the new entries there), compile the .mo files that ship.
LOCALES := chalicelib/locales
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k ngettext:1,2 --no-location --sort-output \
		--project=kinlink --msgid-bugs-address=i18n@kinlink.example -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i $(LOCALES)/messages.pot -d $(LOCALES)
	$(BIN)/pybabel compile --statistics -d $(LOCALES)

.PHONY: catalogs run test test-unit test-api test-live test-fast outbox package bench scale-doc audit walkthrough walkthrough-es onboard-demo clean \
	fake-stripe stripe-walkthrough

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

$(VENV): $(STAMP)

# The API on 127.0.0.1:8000 over an embedded AWS emulator (moto) on 127.0.0.1:4566.
run: $(STAMP)
	$(BIN)/python scripts/devserver.py

# Every test (CI runs this): three worker processes (pytest-xdist), each with its own in-process
# emulator, a file's tests kept on one worker (module fixtures are built once; the schemathesis
# operations are handed out one by one after the files: tests/xdist_schedule.py); then, alone,
# the tests that measure wall time (marker `serial`).  Three on two cores, measured on an idle
# machine from a fresh clone: 4:41 in all, against 5:17 with four (each worker also pays ~12
# CPU-seconds of collection) and 1.1 busy cores with two.  TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -q

test: $(STAMP)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile -m "not serial"
	$(PYTEST) -m serial

# One tier each (markers in pytest.ini; README "Tests"); test-fast is everything but `slow`.
test-unit: $(STAMP)
	$(PYTEST) -m unit
test-api: $(STAMP)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile -m api
test-live: $(STAMP)
	$(PYTEST) -m live
test-fast: $(STAMP)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile -m "not slow and not serial"

# Every email and SMS the local stack has sent (follow reset links by hand).
outbox: $(STAMP)
	@$(BIN)/python scripts/outbox.py

# CloudFormation for the prod stage: build/package/sam.json (tables generated from the models),
# and deployment.zip slimmed and precompiled for the Lambda runtime (scripts/slim_package.py).
# Chalice insists on a region; it only picks the partition's names, the template is region-free.
package: $(STAMP)
	@mkdir -p build
	$(BIN)/python scripts/cfn_resources.py > build/resources.json
	rm -rf build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
		$(BIN)/chalice package --stage prod --merge-template build/resources.json build/package
	$(BIN)/python scripts/slim_package.py build/package

bench: $(STAMP)
	$(BIN)/python -m bench

# docs/scale.md from the code's own AWS calls, scaled to issue 13's volumes (bench/scale_model.py).
scale-doc: $(STAMP)
	$(BIN)/python -m bench.scale_model --write

clean:
	rm -rf build

# Recompute every ledger balance from its entries and compare (against the running local stack,
# or wherever AWS_ENDPOINT_URL points).
audit: $(STAMP)
	@$(BIN)/python scripts/audit.py

# Use the running local stack (`make run` in another terminal) as a client would: 131 checks
# across sign-in, lockout, reset, 2FA, deposits and messaging, reading codes from the outbox.
walkthrough: $(STAMP)
	@$(BIN)/python scripts/walkthrough.py

# The same in Spanish: Accept-Language: es on every request; every problem's words are checked
# against the Spanish catalog.
walkthrough-es: $(STAMP)
	@WALKTHROUGH_LANGUAGE=es $(BIN)/python scripts/walkthrough.py

# Bring a second facility into service through the admin API only (against `make run`):
# facility, rules, roster CSV, an invited staff member with TOTP, a kiosk, a family's deposit.
onboard-demo: $(STAMP)
	@$(BIN)/python scripts/onboard_demo.py

# The prod stage's card payments by hand (README "Card payments: Stripe"): a fake Stripe API on
# 127.0.0.1:12111, then `STAGE=prod STRIPE_API_BASE=... make run`, then the Stripe walkthrough.
fake-stripe: $(STAMP)
	@$(BIN)/python scripts/fake_stripe.py serve
stripe-walkthrough: $(STAMP)
	@$(BIN)/python scripts/stripe_walkthrough.py
