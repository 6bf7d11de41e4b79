package bench

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cognitogo/signout/internal/profile"
)

// profileCase is the part of a case of internal/profile's table that the
// comparison with the SDK reads; profile_test.go there owns the table.
type profileCase struct {
	Name        string `json:"name"`
	Profile     string `json:"profile"`
	Config      string `json:"config"`
	Credentials string `json:"credentials"`
	SDKDiffers  string `json:"sdkDiffers"`
}

// profileCases reads internal/profile's table of cases.
func profileCases(t *testing.T) []profileCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "profile", "testdata", "load.json"))
	require.NoError(t, err)
	var cases []profileCase
	require.NoError(t, json.Unmarshal(b, &cases))
	require.NotEmpty(t, cases)
	return cases
}

// profileFiles writes the config and credentials files and points the
// environment at them.
func profileFiles(t *testing.T, cfg, creds string) {
	t.Helper()
	dir := t.TempDir()
	for env, text := range map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds} {
		path := filepath.Join(dir, env)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		t.Setenv(env, path)
	}
}

// sdkLoad reads a profile with the SDK's config package, which profile.Load
// replaces. ok is false when the SDK fails for a reason of its own: a
// setting Load does not read, or a panic.
func sdkLoad(name string) (p profile.Profile, found, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	sc, err := config.LoadSharedConfigProfile(context.Background(), name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{os.Getenv("AWS_CONFIG_FILE")}
		o.CredentialsFiles = []string{os.Getenv("AWS_SHARED_CREDENTIALS_FILE")}
	})
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return profile.Profile{}, false, true
	case err != nil:
		return profile.Profile{}, false, false
	}
	return profile.Profile{Region: sc.Region, Endpoint: sc.BaseEndpoint, CABundle: sc.CustomCABundle}, true, true
}

// TestProfileLoadAsTheSDK: profile.Load reads every case of its table
// (internal/profile/testdata/load.json) as the SDK's config package does,
// or differently where the case says why.
func TestProfileLoadAsTheSDK(t *testing.T) {
	for _, tc := range profileCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			profileFiles(t, tc.Config, tc.Credentials)
			want, found, ok := sdkLoad(tc.Profile)
			got, err := profile.Load(tc.Profile)
			if tc.SDKDiffers != "" {
				assert.False(t, ok && found == (err == nil) && want == got, "the SDK now reads this as we do: %s no longer holds", tc.SDKDiffers)
				return
			}
			require.True(t, ok, "the SDK cannot read this case")
			assert.Equal(t, found, err == nil, "found; Load said %v", err)
			assert.Equal(t, want, got)
		})
	}
}

// FuzzProfileLoad builds a config and a credentials file, line by line, from
// the fuzzer's bytes in the format's vocabulary (headers, settings,
// comments, sub-settings, continuations, odd spacing and quotes) and checks
// that profile.Load reads what the SDK's config package reads, whenever that
// can read them.
func FuzzProfileLoad(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x10\x11\x03"), []byte("\x00\x01"))
	f.Add([]byte("\x00\x10\x01\x02\x03\x04\x05\x06\x07"), []byte("\x00\x05\x12"))
	f.Add([]byte("\x20\x01\x05\x33\x04\x26\x13"), []byte{})
	f.Fuzz(func(t *testing.T, cfg, creds []byte) {
		cfgText, credsText := profileFile(cfg), profileFile(creds)
		profileFiles(t, cfgText, credsText)
		for _, name := range profileNames {
			want, found, ok := sdkLoad(name)
			if !ok {
				continue
			}
			got, err := profile.Load(name)
			if found != (err == nil) {
				t.Fatalf("profile %q: SDK found it %v, Load says %v\nconfig:\n%s\ncredentials:\n%s", name, found, err, cfgText, credsText)
			}
			if strings.Contains(strings.ToLower(credsText), "endpoint_url") {
				want.Endpoint = got.Endpoint // see the case "the credentials file wins"
			}
			if want != got {
				t.Fatalf("profile %q: SDK read %+v, Load %+v\nconfig:\n%q\ncredentials:\n%q", name, want, got, cfgText, credsText)
			}
		}
	})
}

var profileNames = []string{"default", "dev", "my dev"}

// profileFile turns bytes into the lines of a shared config file: each byte
// picks a kind of line and, with the next, its parts.
func profileFile(b []byte) string {
	pick := func(i int, from []string) string { return from[i%len(from)] }
	var sb strings.Builder
	for i := 0; i+1 < len(b); i += 2 {
		k, v := int(b[i]), int(b[i+1])
		sp := pick(v>>4, []string{"", " ", "\t", "  "})
		end := pick(k>>5, []string{"\n", "\r\n", " # note\n", "\t;note\n", "#x\n", "\n", "\n", "\n"})
		switch k % 8 {
		case 0: // a header
			sb.WriteString(sp + "[" + sp + pick(v, []string{"profile dev", "default", "profile default", "dev", "profile  my dev",
				"profile\tdev", "my dev", "sso-session s", "services s", "profile", "", "profile my  dev"}) + sp + "]" + end)
		case 1, 2, 3: // a setting
			sb.WriteString(pick(v, []string{"region", "Region", "ENDPOINT_URL", "endpoint_url", "ca_bundle", "output", "s3"}) + sp +
				pick(k>>3, []string{"=", ":", " = "}) + sp + pick(v>>2, profileValues) + end)
		case 4: // a comment or a blank line
			sb.WriteString(sp + pick(v, []string{"# region = eu-west-1", "; c", "", "#", "[profile x] # c"}) + "\n")
		case 5: // an indented sub-setting
			sb.WriteString(pick(v, []string{" ", "\t", "   "}) + pick(v>>2, []string{"region", "endpoint_url", "max"}) + " = " + pick(v>>4, profileValues) + end)
		case 6: // an indented continuation
			sb.WriteString(pick(v, []string{" ", "\t"}) + pick(v>>1, profileValues) + end)
		case 7: // a line that is none of these
			sb.WriteString(pick(v, []string{"garbage", "[profile dev", "profile dev]", "=", ":"}) + "\n")
		}
	}
	return sb.String()
}

var profileValues = []string{"us-east-1", "eu-west-1", "http://localhost:5000", "/etc/ca.pem", "", `"us-east-2"`, `'/a b.pem'`,
	`"`, `"x'`, "a=b", "x:y", "v#h", "v ;c", "C:\\ca.pem"}
