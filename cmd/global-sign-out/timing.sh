#!/usr/bin/env bash
# Times one invocation of this command and of "aws cognito-idp
# global-sign-out" on the same local moto, each signing out a fresh user.
# Needs go, moto_server, aws (v1) and python3 with boto3.
#
#   bash cmd/global-sign-out/timing.sh [N]     # N sign-outs each, default 20
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null; rm -rf "$tmp"' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done

go build -o "$tmp/global-sign-out" ./cmd/global-sign-out
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1

# 2N fresh access tokens, made with boto3 so that making them is not timed.
python3 - "$url" $((2 * n)) >"$tmp/tokens" <<'PY'
import boto3, sys
url, n = sys.argv[1], int(sys.argv[2])
c = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")
pool = c.create_user_pool(PoolName="timing")["UserPool"]["Id"]
cid = c.create_user_pool_client(UserPoolId=pool, ClientName="c",
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
for i in range(n):
    u = f"user{i}"
    c.admin_create_user(UserPoolId=pool, Username=u)
    c.admin_set_user_password(UserPoolId=pool, Username=u, Password="Correct-Horse-9", Permanent=True)
    r = c.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": u, "PASSWORD": "Correct-Horse-9"})
    print(r["AuthenticationResult"]["AccessToken"])
PY

# time_each CMD...: runs CMD --access-token TOKEN for N tokens and prints
# the mean wall time in milliseconds; every run must exit 0.
time_each() {
	local start end tok
	start=$(date +%s%N)
	for _ in $(seq "$n"); do
		IFS= read -r tok <&3
		"$@" --endpoint-url "$url" --access-token "$tok" >/dev/null
	done
	end=$(date +%s%N)
	echo $(((end - start) / n / 1000000))
}
exec 3<"$tmp/tokens"
ours=$(time_each "$tmp/global-sign-out")
theirs=$(time_each aws cognito-idp global-sign-out)
echo "global-sign-out:               ${ours} ms per invocation (mean of $n)"
echo "aws cognito-idp global-sign-out: ${theirs} ms per invocation (mean of $n)"
awk -v a="$theirs" -v b="$ours" 'BEGIN { if (b < 1) b = 1; printf "speed-up: %.0fx\n", a / b }'
