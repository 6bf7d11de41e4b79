package token

import (
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	c := goodClaims()
	c["jti"] = "0b7a8f0e-7e7c-4a55-a1d9-2bd1c4a3b6a1"
	c["origin_jti"] = "5f3e2f43-b0b5-4a4f-9c64-0c1b9bfc2b6e"
	c["event_id"] = "f2e1c8a7-94b8-4a5e-a6f2-3c2f1d0e9b8a"
	c["sub"] = "8c5d3a0e-4b7f-4d71-9a0c-2b1e3f4d5c6b"
	c["auth_time"], c["iat"] = now.Unix(), now.Unix()
	tok := tokenWith(c)
	b.ReportAllocs()
	for b.Loop() {
		cl, err := Parse(tok)
		if err != nil {
			b.Fatal(err)
		}
		if err := cl.CheckAccess(now, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
