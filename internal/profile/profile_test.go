package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
// returns; AWSCLIDiffers and SDKDiffers say why the aws CLI or the SDK's
// config package read them otherwise. The cases are in testdata/load.json,
// which the bench module's TestProfileLoadAsTheSDK reads too: the SDK's
// config package is no dependency of this module.
type loadCase struct {
	Name          string  `json:"name"`
	Profile       string  `json:"profile"`
	Config        string  `json:"config"`
	Credentials   string  `json:"credentials"`
	Want          Profile `json:"want"`
	NotFound      bool    `json:"notFound"`
	AWSCLIDiffers string  `json:"awsCLIDiffers"`
	SDKDiffers    string  `json:"sdkDiffers"`
}

// loadCases reads the cases of testdata/load.json.
func loadCases(t testing.TB) []loadCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "load.json"))
	require.NoError(t, err)
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var cases []loadCase
	require.NoError(t, d.Decode(&cases))
	require.NotEmpty(t, cases)
	return cases
}

func TestLoad(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			files(t, tc.Config, tc.Credentials)
			p, err := Load(tc.Profile)
			if tc.NotFound {
				assert.ErrorIs(t, err, ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.Want, p)
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
	cases := loadCases(t)
	var in []map[string]string
	for _, tc := range cases {
		in = append(in, map[string]string{"config": tc.Config, "creds": tc.Credentials, "profile": tc.Profile})
	}
	var out []reading
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	readWithBotocore(ctx, t, in, &out)
	require.Len(t, out, len(cases))
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r := out[i]
			theirs := reading{Found: !tc.NotFound, Region: str(tc.Want.Region), EndpointURL: str(tc.Want.Endpoint), CABundle: str(tc.Want.CABundle)}
			if tc.AWSCLIDiffers != "" {
				assert.NotEqual(t, theirs, r, "the aws CLI now reads this as we do: %s no longer holds", tc.AWSCLIDiffers)
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
	tc := cases[0]
	files(t, tc.Config, tc.Credentials)
	cmd := exec.CommandContext(ctx, "aws", "configure", "get", "endpoint_url", "--profile", tc.Profile)
	got, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, tc.Want.Endpoint+"\n", string(got))
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

// FuzzParse: any text parses without a panic into trimmed section names and
// lower-case, trimmed keys.
func FuzzParse(f *testing.F) {
	for _, tc := range loadCases(f) {
		f.Add(tc.Config)
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
