#!/bin/sh
# Starts this policy pack as an analyzer plugin. The Pulumi CLI runs a policy-pack directory only through
# pulumi-language-nodejs, which is not available here; an executable given to --policy-pack is started
# directly, with the engine's address as its argument, and must print the port it serves on.
cd "$(dirname "$0")" || exit 1
exec node node_modules/@pulumi/pulumi/cmd/run-policy-pack "$1" .
