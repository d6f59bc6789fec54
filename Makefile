# The README promises two commands: `make up STACK=<stack>` deploys, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

STACK ?= dev
# Debian's interpreter sees Debian's Django packages; a pyenv `python3` earlier on PATH does not.
PYTHON ?= /usr/bin/python3
export PYTHON

.PHONY: test fmt-check vet go-test app-test up preview destroy outputs doctor

test: fmt-check vet go-test app-test

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would reformat:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

go-test:
	go test ./...

app-test:
	bash app/scripts/test.sh

up:
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK)

preview:
	pulumi preview --stack $(STACK)

destroy:
	pulumi destroy --stack $(STACK)

outputs:
	pulumi stack output --json --stack $(STACK)

# Post-deploy checks with causes and fixes (see the README's Troubleshooting section).
# Extra flags: make doctor STACK=dev DOCTOR_FLAGS="--wait 5m" (or "--json").
DOCTOR_FLAGS ?=
doctor:
	go run ./cmd/doctor --stack $(STACK) $(DOCTOR_FLAGS)
