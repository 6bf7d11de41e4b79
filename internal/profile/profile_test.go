package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// files writes the config and credentials files and points the environment
// at them.
func files(t *testing.T, cfg, creds string) {
	t.Helper()
	dir := t.TempDir()
	for env, text := range map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds} {
		path := filepath.Join(dir, env)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		t.Setenv(env, path)
	}
}

// loadCase is a pair of files, the profile read from them, and what Load
// returns; awsCLIDiffers and sdkDiffers say why the aws CLI or the SDK's
// config package read them otherwise.
type loadCase struct {
	name, config, creds, profile string
	want                         Profile
	notFound                     bool
	awsCLIDiffers, sdkDiffers    string
}

var loadCases = []loadCase{
	{name: "named profile", profile: "dev",
		config: "[default]\nregion = eu-north-1\n\n[profile dev]\nregion = ap-south-1\nendpoint_url = http://localhost:5000\nca_bundle = /etc/dev.pem\n",
		want:   Profile{Region: "ap-south-1", Endpoint: "http://localhost:5000", CABundle: "/etc/dev.pem"}},
	{name: "default", profile: "default", config: "[default]\nregion = eu-north-1\n[profile dev]\nregion = ap-south-1\n",
		want: Profile{Region: "eu-north-1"}},
	{name: "profile default", profile: "default", config: "[profile default]\nregion = eu-west-3\n", want: Profile{Region: "eu-west-3"}},
	{name: "missing", profile: "nope", config: "[default]\nregion = eu-north-1\n[nope]\nregion = us-east-1\n", notFound: true},
	{name: "no files", profile: "default", notFound: true},
	{name: "the config file needs the prefix", profile: "dev", config: "[dev]\nregion = us-east-1\n", notFound: true},
	{name: "the credentials file has no prefix", profile: "dev", creds: "[profile dev]\nregion = us-east-1\n", notFound: true},
	{name: "a section of the credentials file is a profile", profile: "dev", creds: "[dev]\naws_access_key_id = AKIA\naws_secret_access_key = secret\nregion = us-west-2\n",
		want: Profile{Region: "us-west-2"}},
	{name: "the credentials file wins", profile: "dev",
		config:     "[profile dev]\nregion = ap-south-1\nendpoint_url = http://a:1\nca_bundle = /a.pem\n",
		creds:      "[dev]\nregion = us-west-2\nendpoint_url = http://b:2\n",
		want:       Profile{Region: "us-west-2", Endpoint: "http://b:2", CABundle: "/a.pem"},
		sdkDiffers: "the SDK takes endpoint_url from the credentials file only for a profile the config file lacks"},
	{name: "whitespace and case", profile: "dev",
		config: "[profile dev]  \n\tRegion\t=\tus-east-2  \nENDPOINT_URL=http://x:9\r\nCa_Bundle   :   /c.pem\r\n",
		want:   Profile{Region: "us-east-2", Endpoint: "http://x:9", CABundle: "/c.pem"}},
	{name: "spaces in a header", profile: "my dev", config: "  [ profile \t my dev ]  \nregion = us-east-1\n",
		want: Profile{Region: "us-east-1"}, awsCLIDiffers: "the aws CLI reads no space inside the brackets, and a name with a space only in quotes"},
	{name: "comment lines", profile: "dev",
		config: "# top\n; top\n[profile dev]\n# region = eu-west-1\n  ; region = eu-west-2\nregion = us-east-1\n",
		want:   Profile{Region: "us-east-1"}},
	{name: "a comment after a header", profile: "dev", config: "[profile dev] # the dev account\nregion = us-east-1\n",
		want: Profile{Region: "us-east-1"}},
	{name: "a colon or an equals sign, whichever is first", profile: "dev",
		config: "[profile dev]\nendpoint_url = http://localhost:5000\nca_bundle: C:=x\n",
		want:   Profile{Endpoint: "http://localhost:5000", CABundle: "C:=x"}},
	{name: "a later setting wins, a section may reopen", profile: "dev",
		config: "[profile dev]\nregion = us-east-1\nregion = us-east-2\n[default]\n[profile dev]\nca_bundle = /c.pem\n",
		want:   Profile{Region: "us-east-2", CABundle: "/c.pem"}, awsCLIDiffers: "the aws CLI refuses a repeated setting or section"},
	{name: "sub-settings and other sections are skipped", profile: "dev",
		config: "[sso-session s]\nsso_region = us-east-1\n[profile dev]\ns3 =\n  region = eu-west-1\n  endpoint_url = http://nested\nregion = us-east-1\n[services svc]\ncognito_identity_provider =\n  endpoint_url = http://svc\n",
		want:   Profile{Region: "us-east-1"}},
	{name: "an empty value", profile: "dev", config: "[profile dev]\nregion =\nendpoint_url=\n", want: Profile{}},
	{name: "a comment after a value", profile: "dev",
		config: "[profile dev]\nregion = us-east-1 # N. Virginia\nca_bundle = /a#b.pem\t; ours\n",
		want:   Profile{Region: "us-east-1", CABundle: "/a#b.pem"}, awsCLIDiffers: "the aws CLI keeps a comment after a value in the value"},
	{name: "quotes", profile: "dev", config: "[profile dev]\nregion = \"us-east-1\"\nca_bundle = '/a b.pem'\nendpoint_url = \"\n",
		want: Profile{Region: "us-east-1", CABundle: "/a b.pem", Endpoint: `"`}, awsCLIDiffers: "the aws CLI keeps the quotes",
		sdkDiffers: "the SDK panics on a value that is one quote mark"},
	{name: "a continued value", profile: "dev", config: "[profile dev]\nca_bundle = /a\n  b.pem\n", want: Profile{CABundle: "/a\nb.pem"}},
	{name: "settings before any section are skipped", profile: "default", config: "region = us-east-1\n[default]\n", want: Profile{},
		awsCLIDiffers: "the aws CLI refuses a setting outside a section"},
}

func TestLoad(t *testing.T) {
	for _, tc := range loadCases {
		t.Run(tc.name, func(t *testing.T) {
			files(t, tc.config, tc.creds)
			p, err := Load(tc.profile)
			if tc.notFound {
				assert.ErrorIs(t, err, ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
		})
	}
}

func TestLoadDefaultFiles(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("AWS_CONFIG_FILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "")
	require.NoError(t, os.Mkdir(filepath.Join(home, ".aws"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[profile dev]\nregion = eu-west-1\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[dev]\nca_bundle = /c.pem\n"), 0o600))
	p, err := Load("dev")
	require.NoError(t, err)
	assert.Equal(t, Profile{Region: "eu-west-1", CABundle: "/c.pem"}, p)
}

func TestLoadBoundsTheFile(t *testing.T) {
	files(t, "", "")
	big := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("#\n"), maxFile/2+1), 0o600))
	t.Setenv("AWS_CONFIG_FILE", big)
	_, err := Load("default")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "larger than")
}

// TestLoadAsTheAWSCLI reads every case with botocore, the aws CLI's reader
// (what "aws configure get KEY --profile NAME" prints), and expects the same
// settings, or different ones where the case says why the aws CLI differs.
func TestLoadAsTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH; nothing to compare with")
	}
	type reading struct {
		Found                         bool
		Region, EndpointURL, CABundle *string
		Error                         string
	}
	var in []map[string]string
	for _, tc := range loadCases {
		in = append(in, map[string]string{"config": tc.config, "creds": tc.creds, "profile": tc.profile})
	}
	var out []reading
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	readWithBotocore(ctx, t, in, &out)
	require.Len(t, out, len(loadCases))
	for i, tc := range loadCases {
		t.Run(tc.name, func(t *testing.T) {
			r := out[i]
			theirs := reading{Found: !tc.notFound, Region: str(tc.want.Region), EndpointURL: str(tc.want.Endpoint), CABundle: str(tc.want.CABundle)}
			if tc.awsCLIDiffers != "" {
				assert.NotEqual(t, theirs, r, "the aws CLI now reads this as we do: %s no longer holds", tc.awsCLIDiffers)
				return
			}
			// An absent setting and an empty one are alike to Load.
			for _, p := range []**string{&r.Region, &r.EndpointURL, &r.CABundle} {
				if *p != nil && **p == "" {
					*p = nil
				}
			}
			assert.Equal(t, theirs, r)
		})
	}

	// The anchor: the aws CLI itself prints what botocore read.
	tc := loadCases[0]
	files(t, tc.config, tc.creds)
	cmd := exec.CommandContext(ctx, "aws", "configure", "get", "endpoint_url", "--profile", tc.profile)
	got, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, tc.want.Endpoint+"\n", string(got))
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readWithBotocore runs a Python helper that reads each case as the aws
// CLI's "configure get" does: botocore's Session.get_scoped_config.
func readWithBotocore(ctx context.Context, t *testing.T, in, out any) {
	t.Helper()
	const script = `
import json, os, sys, tempfile
import botocore.session, botocore.exceptions
out = []
for c in json.load(sys.stdin):
    d = tempfile.mkdtemp()
    for env, key in (("AWS_CONFIG_FILE", "config"), ("AWS_SHARED_CREDENTIALS_FILE", "creds")):
        path = os.path.join(d, key)
        with open(path, "w", newline="") as f:
            f.write(c[key])
        os.environ[env] = path
    r = {"Found": False}
    try:
        cfg = botocore.session.Session(profile=c["profile"]).get_scoped_config()
        r["Found"] = True
        for key, name in (("region", "Region"), ("endpoint_url", "EndpointURL"), ("ca_bundle", "CABundle")):
            v = cfg.get(key)
            r[name] = v if v is None or isinstance(v, str) else "<sub-settings>"
    except botocore.exceptions.ProfileNotFound:
        pass
    except Exception as e:
        r["Error"] = type(e).__name__
    out.append(r)
json.dump(out, sys.stdout)
`
	b, err := json.Marshal(in)
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, "python3", "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "No module named 'botocore'") {
		t.Skip("python3 has no botocore; nothing to compare with")
	}
	require.NoError(t, err, stderr.String())
	require.NoError(t, json.Unmarshal(got, out))
}

// sdkLoad reads a profile with the SDK's config package, which Load
// replaces. ok is false when the SDK fails for a reason of its own: a
// setting Load does not read, or a panic.
func sdkLoad(name string) (p Profile, found, ok bool) {
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
		return Profile{}, false, true
	case err != nil:
		return Profile{}, false, false
	}
	return Profile{Region: sc.Region, Endpoint: sc.BaseEndpoint, CABundle: sc.CustomCABundle}, true, true
}

// TestLoadAsTheSDK: Load reads every case as the SDK's config package does,
// or differently where the case says why.
func TestLoadAsTheSDK(t *testing.T) {
	for _, tc := range loadCases {
		t.Run(tc.name, func(t *testing.T) {
			files(t, tc.config, tc.creds)
			want, found, ok := sdkLoad(tc.profile)
			got, err := Load(tc.profile)
			if tc.sdkDiffers != "" {
				assert.False(t, ok && found == (err == nil) && want == got, "the SDK now reads this as we do: %s no longer holds", tc.sdkDiffers)
				return
			}
			require.True(t, ok, "the SDK cannot read this case")
			assert.Equal(t, found, err == nil, "found; Load said %v", err)
			assert.Equal(t, want, got)
		})
	}
}

// FuzzLoad builds a config and a credentials file, line by line, from the
// fuzzer's bytes in the format's vocabulary (headers, settings, comments,
// sub-settings, continuations, odd spacing and quotes) and checks that Load
// reads what the SDK's config package reads, whenever that can read them.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x10\x11\x03"), []byte("\x00\x01"))
	f.Add([]byte("\x00\x10\x01\x02\x03\x04\x05\x06\x07"), []byte("\x00\x05\x12"))
	f.Add([]byte("\x20\x01\x05\x33\x04\x26\x13"), []byte{})
	f.Fuzz(func(t *testing.T, cfg, creds []byte) {
		cfgText, credsText := build(cfg), build(creds)
		files(t, cfgText, credsText)
		for _, name := range profileNames {
			want, found, ok := sdkLoad(name)
			if !ok {
				continue
			}
			got, err := Load(name)
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

// build turns bytes into the lines of a shared config file: each byte picks
// a kind of line and, with the next, its parts.
func build(b []byte) string {
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
				pick(k>>3, []string{"=", ":", " = "}) + sp + pick(v>>2, values) + end)
		case 4: // a comment or a blank line
			sb.WriteString(sp + pick(v, []string{"# region = eu-west-1", "; c", "", "#", "[profile x] # c"}) + "\n")
		case 5: // an indented sub-setting
			sb.WriteString(pick(v, []string{" ", "\t", "   "}) + pick(v>>2, []string{"region", "endpoint_url", "max"}) + " = " + pick(v>>4, values) + end)
		case 6: // an indented continuation
			sb.WriteString(pick(v, []string{" ", "\t"}) + pick(v>>1, values) + end)
		case 7: // a line that is none of these
			sb.WriteString(pick(v, []string{"garbage", "[profile dev", "profile dev]", "=", ":"}) + "\n")
		}
	}
	return sb.String()
}

var values = []string{"us-east-1", "eu-west-1", "http://localhost:5000", "/etc/ca.pem", "", `"us-east-2"`, `'/a b.pem'`,
	`"`, `"x'`, "a=b", "x:y", "v#h", "v ;c", "C:\\ca.pem"}

// FuzzParse: any text parses without a panic into trimmed section names and
// lower-case, trimmed keys.
func FuzzParse(f *testing.F) {
	for _, tc := range loadCases {
		f.Add(tc.config)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for name, s := range parse(text) {
			if name != strings.TrimSpace(name) {
				t.Fatalf("section name %q is not trimmed", name)
			}
			for _, kv := range s {
				if kv[0] != strings.ToLower(strings.TrimSpace(kv[0])) {
					t.Fatalf("key %q is not trimmed and lower-case", kv[0])
				}
			}
		}
	})
}
