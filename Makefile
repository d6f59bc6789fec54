# The README promises two commands: `make up STACK=<stack>` deploys, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

STACK ?= dev

.PHONY: test fmt-check vet go-test test-engine engine-tools app-test lint-workflows up preview destroy outputs doctor

test: fmt-check vet go-test test-engine app-test lint-workflows

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would reformat:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...
	go vet -tags engine .
	cd tools/fakeprovider && go vet ./...

# The programs under the real Pulumi CLI and engine (engine_test.go): the CLI pinned to the SDK's version
# (tools/pulumi, built once and cached), the fake provider plugins (tools/fakeprovider) and AWSGuard
# (tools/awsguard, npm). One scenario: make test-engine RUN=TestEngineDevLifecycle
RUN ?= TestEngine
ENGINE_HOME := $(CURDIR)/tools/fakeprovider/.home
test-engine: engine-tools
	cli="$$(bash tools/pulumi/build.sh)"; \
	  PULUMI_CLI_ROOT="$$cli" TASKAPI_FAKE_PLUGINS="$(ENGINE_HOME)" go test -tags engine -count=1 -timeout 40m -run '$(RUN)' . && \
	  if [ '$(RUN)' = TestEngine ]; then cd tools/fakeprovider && PULUMI_CLI_ROOT="$$cli" go test -count=1 ./e2e; fi

engine-tools:
	@bash tools/pulumi/build.sh >/dev/null
	@bash tools/fakeprovider/install.sh "$(ENGINE_HOME)" >/dev/null
	@cd tools/awsguard && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules; fi

go-test:
	go test ./...
	cd tools/fakeprovider && go test .

# --- the app (app/): every Python step runs in the virtualenv made from app/requirements-dev.lock ---
# app/scripts/venv.sh prints its path, creating it on first use; an unchanged lock reuses it.
APP_VENV = venv=$$(bash app/scripts/venv.sh)
.PHONY: app-venv app-lint app-format app-suite app-fuzz doctor-moto schema test-versions lock lock-upgrade

app-test: app-venv app-lint app-suite app-fuzz doctor-moto

app-venv:
	@$(APP_VENV) && echo "app virtualenv: $$venv"

# ruff: lint and formatting of app/ (settings in app/ruff.toml). `make app-format` rewrites.
app-lint:
	@$(APP_VENV) && cd app && "$$venv/bin/ruff" check . && "$$venv/bin/ruff" format --check .

app-format:
	@$(APP_VENV) && cd app && "$$venv/bin/ruff" check --fix . && "$$venv/bin/ruff" format .

# The Django suite on SQLite, then on a throwaway PostgreSQL (includes the image-equivalent start).
app-suite:
	bash app/scripts/test.sh

# schemathesis against the live API on a throwaway PostgreSQL, bounded (app/tests/fuzz.py).
# TASKAPI_FUZZ_SEED=<seed> reproduces a run; TASKAPI_FUZZ_EXAMPLES=<n> changes the bound.
app-fuzz:
	@$(APP_VENV) && cd app && PYTHONDONTWRITEBYTECODE=1 "$$venv/bin/python" -m tests.fuzz

# The deployment doctor against moto's AWS emulator, run from the test virtualenv
# (internal/doctor/moto_test.go). Plain `go test ./...` skips these tests; here a skip fails.
doctor-moto:
	@$(APP_VENV) && log=$$(mktemp) && trap 'rm -f "$$log"' EXIT && \
	TASKAPI_VENV="$$venv" go test ./internal/doctor -run Moto -count=1 -v | tee "$$log" && \
	if grep -q -- '--- SKIP' "$$log"; then echo "doctor-moto: a moto test skipped" >&2; exit 1; fi

# The OpenAPI schema: app/openapi.yaml is the committed copy of what /api/v1/schema/ serves; a test
# fails when they differ. After changing the API: make schema, and review the diff.
schema:
	@$(APP_VENV) && cd app && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=schema-generation-only DJANGO_ALLOWED_HOSTS=localhost DB_SQLITE=1 \
	  "$$venv/bin/python" manage.py spectacular --validate --fail-on-warn --file openapi.yaml && echo "app/openapi.yaml written"

# The versions the tests run on (README "Testing", BENCHMARKS.md).
test-versions:
	@bash app/scripts/versions.sh

# Dependencies: edit app/requirements.in (runtime) or app/requirements-dev.in (tools), then
# `make lock` pins and hashes them; `make lock-upgrade` moves every pin to the newest allowed.
lock:
	bash app/scripts/lock.sh

lock-upgrade:
	bash app/scripts/lock.sh --upgrade

# actionlint checks .github/workflows/*.yml offline. .ci/run installs it with
# `go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`, into $(go env GOPATH)/bin,
# which need not be on PATH.
lint-workflows:
	@bin=$$(command -v actionlint || true); \
	if [ -z "$$bin" ]; then gobin=$$(go env GOBIN); bin=$${gobin:-$$(go env GOPATH | cut -d: -f1)/bin}/actionlint; fi; \
	if [ ! -x "$$bin" ]; then \
	  echo "actionlint is not installed; run: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"; exit 1; \
	fi; \
	"$$bin" && echo "actionlint: $$(ls .github/workflows/*.yml | wc -l) workflow files OK"

# Lifecycle of a stack: make preview|up|destroy|outputs STACK=<stack> [DIR=<project dir>].
# DIR is the Pulumi project: the service (default) or e.g. DIR=examples/monitoring.
# Each target first runs scripts/pulumi-preflight.sh, which fails within seconds, with what to do,
# when the Pulumi CLI, a state backend or AWS credentials are missing, and refuses to destroy a
# stack with task-management-api:deletionProtection=true (see README "Deploying and lifecycle").
PULUMI ?= pulumi
DIR ?= .
export PULUMI
PREFLIGHT = bash scripts/pulumi-preflight.sh
PULUMI_IN_DIR = $(PULUMI) --cwd $(DIR)

preview:
	@$(PREFLIGHT) preview $(STACK) $(DIR)
	$(PULUMI_IN_DIR) preview --stack $(STACK)

# After `pulumi up` of the service, the deployment doctor verifies the rollout: the provider's wait for a
# steady state is also satisfied when ECS's circuit breaker rolled the new task definition back, so
# `up` alone can report success for a deployment that never went live. The doctor fails (exit 1, with
# its diagnosis) unless the service's primary deployment is the task definition the stack just
# registered and every check passes within VERIFY_WAIT.
VERIFY_WAIT ?= 10m
up:
	@$(PREFLIGHT) up $(STACK) $(DIR)
	$(PULUMI_IN_DIR) stack select --create $(STACK)
	@$(PREFLIGHT) region $(STACK) $(DIR)
	$(PULUMI_IN_DIR) up --stack $(STACK)
	@if grep -qs '^name:[[:space:]]*task-management-api[[:space:]]*$$' $(DIR)/Pulumi.yaml; then \
	  echo "Verifying the rollout of stack $(STACK) (deployment doctor, up to $(VERIFY_WAIT))..."; \
	  outputs=$$(mktemp); trap 'rm -f "$$outputs"' EXIT; \
	  $(PULUMI_IN_DIR) stack output --json --stack $(STACK) > "$$outputs"; \
	  go run ./cmd/doctor --outputs "$$outputs" --wait $(VERIFY_WAIT); \
	fi

destroy:
	@$(PREFLIGHT) destroy $(STACK) $(DIR)
	$(PULUMI_IN_DIR) destroy --stack $(STACK)

outputs:
	@$(PREFLIGHT) outputs $(STACK) $(DIR)
	$(PULUMI_IN_DIR) stack output --json --stack $(STACK)

# Post-deploy checks with causes and fixes (see the README's Troubleshooting section).
# Extra flags: make doctor STACK=dev DOCTOR_FLAGS="--wait 5m" (or "--json").
DOCTOR_FLAGS ?=
doctor:
	go run ./cmd/doctor --stack $(STACK) $(DOCTOR_FLAGS)
