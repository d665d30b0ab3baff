# Two commands: `make run` (set up everything and serve on the embedded default) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000

.PHONY: run setup site-url install browser ocr pdf test test-services lint format migrations bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's python3-venv (a fresh Debian has no ensurepip)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
	      && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "Creating .venv failed: on Debian or Ubuntu, sudo apt-get install python3-venv"; exit 1; \
	  fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# A local .env with a fresh secret key, made once and never overwritten.
.env:
	@sed "s/^SECRET_KEY=.*/SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')/" .env.example > .env
	@echo "Wrote .env (local settings; edit it to point at PostgreSQL, Redis or SMTP)."

# A local SITE_URL follows PORT (links in emails point at the port the app serves); any other URL is kept.
site-url: .env
	@sed -i -E 's#^SITE_URL=http://(127\.0\.0\.1|localhost):[0-9]+/?$$#SITE_URL=http://\1:$(PORT)#' .env

setup: install .env site-url
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_laws --missing-only
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py demo_activity
	$(BIN)/python manage.py ensure_login

run: setup pdf ocr
	$(BIN)/python manage.py devserver --port $(PORT)

# Browser tests drive Debian's Chromium (never a downloaded browser); install it once when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's Chromium: sudo apt-get install chromium"; exit 1; \
	  fi; }

# Letter PDFs (WeasyPrint) need Pango and HarfBuzz, and DejaVu fonts so letters render the same everywhere;
# slim images and minimal servers lack libpangoft2 (the Dockerfile installs the same packages). Without
# libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools: each letter then takes about 7 times as long.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core
pdf:
	@dpkg-query -W -f='$${Status}\n' $(PDF_PACKAGES) 2>/dev/null | grep -c '^install ok installed' \
	   | grep -qx $(words $(PDF_PACKAGES)) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's $(PDF_PACKAGES) for the letter PDFs..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; \
	  else \
	    echo "Letter PDFs need Debian's Pango and fonts: sudo apt-get install $(PDF_PACKAGES)"; exit 1; \
	  fi; }

# OCR of scans (foia/ocr.py): OCRmyPDF comes from PyPI; Tesseract with English and Ghostscript from Debian.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng ghostscript
ocr:
	@{ command -v tesseract >/dev/null 2>&1 && command -v gs >/dev/null 2>&1 \
	   && tesseract --list-langs 2>/dev/null | grep -qx eng; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's $(OCR_PACKAGES) for OCR..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null; \
	  else \
	    echo "OCR needs Debian's Tesseract and Ghostscript: sudo apt-get install $(OCR_PACKAGES)"; exit 1; \
	  fi; }

# The whole suite on the configured database (SQLite unless DATABASE_URL is set).
test: install browser pdf ocr
	$(BIN)/python -m pytest

# The suite against the local PostgreSQL and Redis (what .ci/run does as its second pass). Two runs at once
# must not share the database or the Redis db (one's worker would take the other's tasks): override both.
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/foia
SERVICES_REDIS_URL    ?= redis://127.0.0.1:6379/15
test-services: install browser pdf ocr
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Before the first release the schema lives in one initial migration; hand-written ones (0002_*) are kept.
migrations: install
	@mkdir -p var/keep && (mv foia/migrations/0002_*.py var/keep/ 2>/dev/null || true)
	rm -f foia/migrations/0001_initial.py
	SECRET_KEY=x $(BIN)/python manage.py makemigrations foia --name initial
	@(mv var/keep/0002_*.py foia/migrations/ 2>/dev/null || true)

# Every benchmark at its issue's size (search and dashboard need the local PostgreSQL; see the README).
# The soak runs the embedded stack for 30 minutes (bench/soak.py --minutes N for a shorter one).
bench: install
	$(BIN)/python bench/import_agencies.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/foia $(BIN)/python bench/import_agencies.py
	$(BIN)/python bench/letters.py
	$(BIN)/python bench/letters.py --postgres --redis
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/clauses.py
	$(BIN)/python bench/clauses.py --postgres
	$(BIN)/python bench/findings.py
	$(BIN)/python bench/findings.py --postgres
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf var/test .pytest_cache
