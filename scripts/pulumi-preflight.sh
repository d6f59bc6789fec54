#!/usr/bin/env bash
# Prerequisite checks for the Makefile's lifecycle targets (preview, up, destroy, outputs). They run
# in seconds and change nothing, so a missing tool or credential fails at once with a message saying
# what to do, instead of after a multi-minute compile or a hanging network call.
#
#   scripts/pulumi-preflight.sh preview|up|destroy|outputs STACK [DIR]   tools, backend, credentials
#   scripts/pulumi-preflight.sh region STACK [DIR]                       aws:region set (after select)
#
# PULUMI names the CLI (default: pulumi). SKIP_AWS_CHECK=1 skips the AWS credential check, for
# credentials this script cannot see locally (an EC2 instance role).
set -euo pipefail

usage="usage: $0 preview|up|destroy|outputs|region STACK [DIR]"
cmd=${1:?$usage}
stack=${2:?$usage}
dir=${3:-.}
pulumi=${PULUMI:-pulumi}
stack_file="$dir/Pulumi.$stack.yaml"
again="make $cmd STACK=$stack"
if [ "$dir" != . ]; then again+=" DIR=$dir"; fi

fail() {
  printf 'error: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 1
}

# stack_config KEY: the value of KEY in the stack file, where `pulumi config set` writes it.
stack_config() {
  [ -f "$stack_file" ] || return 0
  sed -n "s/^[[:space:]]*$1:[[:space:]]*\"\{0,1\}\([^\"#[:space:]]*\)\"\{0,1\}[[:space:]]*\(#.*\)\{0,1\}$/\1/p" "$stack_file" | head -n 1
}

is_service_project() { grep -qs '^name:[[:space:]]*task-management-api[[:space:]]*$' "$dir/Pulumi.yaml"; }

case "$cmd" in
preview | up | destroy | outputs) ;;
region)
  # After `pulumi stack select --create`: catch a forgotten region before a multi-minute build.
  # The program itself stops with the same advice when run without make.
  if is_service_project && ! "$pulumi" --cwd "$dir" config get aws:region --stack "$stack" >/dev/null 2>&1; then
    fail "stack '$stack' has no aws:region; the program refuses to run without one (the AWS provider would otherwise" \
      "silently deploy to AWS_REGION or your profile's region). Set it, then run make up again:" \
      "pulumi config set aws:region <region> --stack $stack"
  fi
  exit 0
  ;;
*) fail "$usage" ;;
esac

# 1. A stack with deletion protection cannot be destroyed: say so before anything is deleted.
if [ "$cmd" = destroy ] && is_service_project &&
  [ "$(stack_config task-management-api:deletionProtection)" = true ]; then
  fail "refusing to destroy stack '$stack': task-management-api:deletionProtection is true in $stack_file." \
    "AWS refuses to delete a protected load balancer (OperationNotPermitted: ... deletion protection is enabled)" \
    "and a protected database (InvalidParameterCombination: Cannot delete protected DB Instance, please disable" \
    "deletion protection and try again). pulumi destroy would fail on those two only after deleting the service," \
    "its listeners and everything else around them, leaving the stack half deleted. To really delete it:" \
    "  pulumi config set task-management-api:deletionProtection false --stack $stack" \
    "  pulumi config set task-management-api:forceDeleteRepository true --stack $stack   # else ECR refuses: RepositoryNotEmptyException" \
    "  make up STACK=$stack        # turns the protection off in AWS" \
    "  make destroy STACK=$stack   # dbFinalSnapshot=true keeps a final RDS snapshot (delete it by hand if unwanted)"
fi

# 2. The Pulumi CLI.
if ! command -v "$pulumi" >/dev/null 2>&1; then
  fail "the Pulumi CLI ('$pulumi') is not installed or not on PATH." \
    "Install it (https://www.pulumi.com/docs/iac/download-install/), e.g.: curl -fsSL https://get.pulumi.com | sh" \
    "then open a new shell and run again: $again"
fi

# 3. A state backend: PULUMI_BACKEND_URL, a Pulumi Cloud token, or a previous `pulumi login`.
pulumi_home=${PULUMI_HOME:-$HOME/.pulumi}
backend=${PULUMI_BACKEND_URL:-}
if [ -z "$backend" ] && [ -f "$pulumi_home/credentials.json" ]; then
  backend=$(sed -n 's/.*"current"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pulumi_home/credentials.json" | head -n 1)
fi
if [ -z "$backend" ] && [ -n "${PULUMI_ACCESS_TOKEN:-}" ]; then
  backend=https://api.pulumi.com
fi
if [ -z "$backend" ]; then
  fail "no Pulumi state backend: you are not logged in and PULUMI_BACKEND_URL is not set." \
    "Use an S3 bucket: export PULUMI_BACKEND_URL='s3://<state-bucket>?region=<bucket-region>'" \
    "or Pulumi Cloud: export PULUMI_ACCESS_TOKEN=<token>   (or run 'pulumi login <backend>' once)"
fi

# 4. AWS credentials, looked for locally (no network): every command needs them except reading
#    outputs from a backend that is not S3.
if [ "$cmd" = outputs ] && [[ "$backend" != s3://* ]]; then
  exit 0
fi
if [ "${SKIP_AWS_CHECK:-}" = 1 ]; then
  echo "preflight: AWS credential check skipped (SKIP_AWS_CHECK=1)" >&2
  exit 0
fi
profile=${AWS_PROFILE:-$(stack_config aws:profile)}
cred_source=""
if [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  cred_source="AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
elif [ -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] && [ -n "${AWS_ROLE_ARN:-}" ]; then
  cred_source="AWS_WEB_IDENTITY_TOKEN_FILE"
elif [ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]; then
  cred_source="container credentials"
else
  for file in "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" "${AWS_CONFIG_FILE:-$HOME/.aws/config}"; do
    if [ -s "$file" ]; then
      cred_source="$file${profile:+ (profile $profile)}"
      break
    fi
  done
fi
if [ -z "$cred_source" ]; then
  fail "no AWS credentials found: none of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE," \
    "container credentials, ${AWS_SHARED_CREDENTIALS_FILE:-~/.aws/credentials} or ${AWS_CONFIG_FILE:-~/.aws/config} is set." \
    "Configure them, e.g. 'aws configure sso' then export AWS_PROFILE=<profile>, or export AWS_ACCESS_KEY_ID and" \
    "AWS_SECRET_ACCESS_KEY. (On an EC2 instance role, which this check cannot see, set SKIP_AWS_CHECK=1.)"
fi

# With the AWS CLI at hand, make sure they still work (expired SSO sessions are common), bounded so
# an unreachable network fails in seconds instead of hanging.
if command -v aws >/dev/null 2>&1; then
  region=$(stack_config aws:region)
  region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}
  args=(sts get-caller-identity --region "$region" --output text --query Arn
    --cli-connect-timeout 5 --cli-read-timeout 5)
  if [ -n "$profile" ]; then args+=(--profile "$profile"); fi
  if identity=$(AWS_METADATA_SERVICE_TIMEOUT=1 AWS_METADATA_SERVICE_NUM_ATTEMPTS=1 \
    timeout 20 aws "${args[@]}" 2>&1 </dev/null); then
    echo "preflight: AWS identity $identity" >&2
  else
    status=$?
    reason=$(printf '%s' "$identity" | sed '/^[[:space:]]*$/d' | tail -n 2 | tr '\n' ' ')
    case "$status:$identity" in
    124:* | *"Could not connect"* | *"Connect timeout"* | *"Read timeout"*)
      fail "could not reach AWS STS to check the credentials from $cred_source: ${reason:-no answer within 20 seconds}" \
        "Check the network or proxy; SKIP_AWS_CHECK=1 skips this check."
      ;;
    esac
    fail "AWS credentials from $cred_source do not work: $reason" \
      "Refresh them (e.g. 'aws sso login${profile:+ --profile $profile}') and run again: $again"
  fi
fi
