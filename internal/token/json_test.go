package token

import (
	"reflect"
	"strings"
	"testing"

	josejson "github.com/go-jose/go-jose/v4/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refPayload and refHeader are the claims and header as go-jose's json, a
// strict decoder (case-sensitive names, no repeats), reads them: the
// reference the reader is held to.
type refPayload struct {
	Iss             string   `json:"iss"`
	Sub             string   `json:"sub"`
	TokenUse        string   `json:"token_use"`
	ClientID        string   `json:"client_id"`
	Aud             string   `json:"aud"`
	Username        string   `json:"username"`
	CognitoUsername string   `json:"cognito:username"`
	Scope           string   `json:"scope"`
	Groups          []string `json:"cognito:groups"`
	OriginJTI       string   `json:"origin_jti"`
	JTI             string   `json:"jti"`
	AuthTime        *int64   `json:"auth_time"`
	Iat             *int64   `json:"iat"`
	Nbf             *int64   `json:"nbf"`
	Exp             *int64   `json:"exp"`
}

func (p refPayload) payload() payload {
	n := func(v *int64) number {
		if v == nil {
			return number{}
		}
		return number{*v, true}
	}
	return payload{p.Iss, p.Sub, p.TokenUse, p.ClientID, p.Aud, p.Username, p.CognitoUsername, p.Scope, p.Groups,
		p.OriginJTI, p.JTI, n(p.AuthTime), n(p.Iat), n(p.Nbf), n(p.Exp)}
}

type refHeader struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit"`
}

// sameAsReference reports how readClaims and readHeader differ from
// go-jose's json on data, or "" when they agree: both refuse it, or both
// read the same values.
func sameAsReference(data []byte) string {
	var ref refPayload
	refErr := josejson.Unmarshal(data, &ref)
	var got payload
	err := readClaims(data, &got)
	if (refErr == nil) != (err == nil) {
		return "claims: reference error " + errString(refErr) + ", reader error " + errString(err)
	}
	if err == nil && !reflect.DeepEqual(ref.payload(), got) {
		return "claims read differently"
	}
	var refH refHeader
	refErr = josejson.Unmarshal(data, &refH)
	var h header
	err = readHeader(data, &h)
	if (refErr == nil) != (err == nil) {
		return "header: reference error " + errString(refErr) + ", reader error " + errString(err)
	}
	if err == nil && !reflect.DeepEqual(header(refH), h) {
		return "header read differently"
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// jsonCases are inputs on which a lax or a hand-written reader could go
// wrong; each must be read as the reference reads it.
var jsonCases = []string{
	`{}`, ` {} `, `{"iss":"a"}`, `{"iss":null}`, `{"iss":1}`, `{"iss":"a","iss":"b"}`, `{"ISS":"a"}`, `{"\u0069ss":"a"}`,
	`{"iss":"a","\u0069ss":"b"}`, `{"exp":1}`, `{"exp":-0}`, `{"exp":1.0}`, `{"exp":1e3}`, `{"exp":"1"}`, `{"exp":null}`,
	`{"exp":9223372036854775807}`, `{"exp":9223372036854775808}`, `{"exp":01}`, `{"exp":-}`, `{"exp":1.}`, `{"exp":.5}`,
	`{"exp":+1}`, `{"cognito:groups":[]}`, `{"cognito:groups":["a",null,"b"]}`, `{"cognito:groups":[1]}`,
	`{"cognito:groups":"a"}`, `{"cognito:groups":null}`, `{"cognito:groups":["a",]}`, `{"crit":["b64"],"alg":"RS256","kid":"k"}`,
	`{"x":{"a":1,"a":2}}`, `{"x":[1,{"y":[true,false,null]}],"iss":"i"}`, `{"x":tru}`, `{"x":nul}`, `{"x":nullx}`,
	`{"iss":"a\"b\\c\/d\b\f\n\r\t"}`, `{"iss":"\u00e9\u4e2d"}`, `{"iss":"\ud83d\ude00"}`, `{"iss":"\ud83d"}`, `{"iss":"\ud83dx"}`,
	`{"iss":"\ude00\ud83d"}`, `{"iss":"\ud83d\u0041"}`, `{"iss":"\ud83d\uzzzz"}`, `{"iss":"\x"}`, `{"iss":"a` + "\x01" + `"}`,
	`{"iss":"` + "\xff\xfe" + `"}`, `{"iss":"` + "caf\xc3\xa9" + `"}`, `{"iss":"a"` + "\t\r\n" + `}`, `{"iss":"a"}x`, `{"iss":"a"}}`,
	`{"iss":"a",}`, `{,}`, `{"iss"}`, `{"iss":}`, `{"iss" "a"}`, `{"a":1 "b":2}`, `{"a":[1 2]}`, `{"a":{"b"}}`,
	`{"a":{"b":1,}}`, `{"a":"` + strings.Repeat(`\u0041`, 40) + `"}`, `{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 199) + `}`, `{"scope":"openid email","token_use":"access"}`,
	`{"alg":"RS256","alg":"none"}`, `{"alg":"RS256","Alg":"none"}`, `{"kid":null,"kid":"a"}`,
}

func TestReaderMatchesReference(t *testing.T) {
	for _, c := range jsonCases {
		assert.Empty(t, sameAsReference([]byte(c)), "%q", c)
	}
	// Many members: the seen-names list outgrows its array.
	var b strings.Builder
	b.WriteString(`{`)
	for i := range 40 {
		b.WriteString(`"claim` + strings.Repeat("x", i) + `":1,`)
	}
	b.WriteString(`"iss":"i","claim":2}`)
	require.Empty(t, sameAsReference([]byte(b.String())))
	require.Error(t, readClaims([]byte(strings.Replace(b.String(), `"iss"`, `"claimxxxxx"`, 1)), &payload{}), "a repeat among many")
}

// FuzzReader holds the reader to go-jose's json on any input that can
// reach it (Parse passes only objects).
func FuzzReader(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '{' {
			return
		}
		if d := sameAsReference(data); d != "" {
			t.Fatalf("%s on %q", d, data)
		}
	})
}
