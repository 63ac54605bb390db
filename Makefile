# koatty_lite — every target works from a fresh clone.
PYTHON ?= python3
VENV ?= .venv-test
PORT ?= 3000

.PHONY: run test zip bench lint clean

## run: serve the example app on http://127.0.0.1:$(PORT) (nothing to install)
run:
	$(PYTHON) -m koatty_lite serve examples.demo.app:App --port $(PORT)

## test: install the test tools into $(VENV) and run every test
test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q

$(VENV)/.installed: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

## zip: build dist/function.zip: the demo, or `make zip APP=myapp ENTRY=handler.py [REQUIREMENTS=...]
##      [RUNTIME=python3.12] [TEMPLATE=template.yaml] [ARCH=arm64] [PLATFORM=aws|alicloud|tencent|all]
##      [WITH=listen,cors] [ALL_MODULES=1] [KEEP_DOCSTRINGS=1]` (python -m koatty_lite package)
zip:
	APP="$(APP)" ENTRY="$(ENTRY)" REQUIREMENTS="$(REQUIREMENTS)" RUNTIME="$(RUNTIME)" TEMPLATE="$(TEMPLATE)" \
	ARCH="$(ARCH)" PYC="$(PYC)" OUT="$(OUT)" PLATFORM="$(PLATFORM)" WITH="$(WITH)" ALL_MODULES="$(ALL_MODULES)" \
	KEEP_DOCSTRINGS="$(KEEP_DOCSTRINGS)" $(PYTHON) tools/make_zip.py

## bench: compare koatty_lite with its peers (installs them into bench/.venv)
bench:
	$(PYTHON) bench/run.py

## lint: cfn-lint (installed into .venv-lint) over the SAM template
lint: .venv-lint/.installed
	.venv-lint/bin/cfn-lint examples/aws/template.yaml

.venv-lint/.installed:
	$(PYTHON) -m venv .venv-lint
	.venv-lint/bin/python -m pip install -q --disable-pip-version-check cfn-lint
	touch $@

clean:
	rm -rf $(VENV) dist build bench/.venv .pytest_cache
