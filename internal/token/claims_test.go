package token

import (
	"bytes"
	"encoding/json"
	"testing"
)

var claimSeeds = []string{
	`{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a","token_use":"access","scope":"aws.cognito.signin.user.admin","exp":1800000000,"client_id":"c","username":"u"}`,
	`{"sub":"x","cognito:groups":["a","b",{"c":[1,2,{"d":null}]}],"exp":1.5e9,"scope":"openid"}`,
	`{"ISS":"upper","Scope":"folded","scope":"last wins"}`,
	`{"\u0069ss":"escaped key","token_use":"acc\u0065ss","username":"\u00e9t\u00e9"}`,
	`{"exp":"soon"}`,
	`{"exp":null,"scope":null}`,
	`{"scope":7}`,
	`{"exp":1e400}`,
	`{"exp":01}`,
	`{}`,
	` { "exp" : 1 , "iss" : "a" } `,
	`{"a":"\"quoted\" \\ slash"}`,
	`{"username":"bad utf8 \xff"}`,
	`[1]`,
	`{"a":1}x`,
	`{"a":tru}`,
}

// FuzzScanClaims holds scanClaims to encoding/json: on valid JSON both must
// accept or both refuse, and agree on every field.
func FuzzScanClaims(f *testing.F) {
	for _, s := range claimSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got payload
		serr := scanClaims(data, &got)
		if !json.Valid(data) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			// Not a JSON object (encoding/json takes null as a no-op; claims
			// must be an object): either answer is fine, not panicking is the test.
			return
		}
		var want payload
		jerr := json.Unmarshal(data, &want)
		if (jerr == nil) != (serr == nil) {
			t.Fatalf("encoding/json error %v, scanClaims error %v, for %q", jerr, serr, data)
		}
		if jerr != nil {
			return
		}
		if got.Iss != want.Iss || got.TokenUse != want.TokenUse || got.Scope != want.Scope {
			t.Fatalf("strings differ for %q:\n got  %+v\n want %+v", data, got, want)
		}
		if (got.Exp == nil) != (want.Exp == nil) || got.Exp != nil && *got.Exp != *want.Exp {
			t.Fatalf("exp differs for %q: got %v want %v", data, got.Exp, want.Exp)
		}
	})
}
