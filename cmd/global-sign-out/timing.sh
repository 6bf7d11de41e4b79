#!/usr/bin/env bash
# Times one invocation of this command and of "aws cognito-idp
# global-sign-out" on the same local moto, each signing out a fresh user,
# and, as the floor both stand on, one bare GlobalSignOut request to moto
# made with curl. The three run in turn, N rounds, so that a machine's
# changing load falls on all of them alike; each prints its median.
# Needs go, moto_server, aws (v1), curl and python3 with boto3.
#
#   bash cmd/global-sign-out/timing.sh [N]     # N rounds, default 20
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
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# 3N fresh access tokens, made with boto3 so that making them is not timed.
python3 - "$url" $((3 * n)) >"$tmp/tokens" <<'PY'
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

curl_signout() {
	curl -sf -o /dev/null -X POST --data "{\"AccessToken\":\"$2\"}" \
		-H 'Content-Type: application/x-amz-json-1.1' \
		-H 'X-Amz-Target: AWSCognitoIdentityProviderService.GlobalSignOut' "$1"
}

# time_one FILE CMD...: runs CMD with the next token, which must exit 0, and
# appends its wall time in microseconds to FILE.
time_one() {
	local file=$1 tok start end
	shift
	IFS= read -r tok <&3
	start=$(date +%s%N)
	"$@" "$tok" >/dev/null
	end=$(date +%s%N)
	echo $(((end - start) / 1000)) >>"$file"
}
exec 3<"$tmp/tokens"
for _ in $(seq "$n"); do
	time_one "$tmp/floor" curl_signout "$url/"
	time_one "$tmp/ours" "$tmp/global-sign-out" --endpoint-url "$url" --access-token
	time_one "$tmp/theirs" aws cognito-idp global-sign-out --endpoint-url "$url" --access-token
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.1f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2000}'; }
floor=$(median "$tmp/floor") ours=$(median "$tmp/ours") theirs=$(median "$tmp/theirs")
echo "moto alone (curl):               ${floor} ms per request (median of $n)"
echo "global-sign-out:                 ${ours} ms per invocation"
echo "aws cognito-idp global-sign-out: ${theirs} ms per invocation"
awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "speed-up: %.0fx\n", a / b }'
