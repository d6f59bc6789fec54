# The README promises two commands: `make up STACK=<stack>` deploys, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

STACK ?= dev
# Debian's interpreter sees Debian's Django packages; a pyenv `python3` earlier on PATH does not.
PYTHON ?= /usr/bin/python3
export PYTHON

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

app-test:
	bash app/scripts/test.sh

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
