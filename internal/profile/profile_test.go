package profile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = eu-north-1\n\n[profile dev]\nregion = ap-south-1\nca_bundle = /etc/dev.pem\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))

	sc, err := Load("dev")
	require.NoError(t, err)
	assert.Equal(t, "ap-south-1", sc.Region)
	assert.Equal(t, "/etc/dev.pem", sc.CustomCABundle)
	sc, err = Load("default")
	require.NoError(t, err)
	assert.Equal(t, "eu-north-1", sc.Region)

	_, err = Load("nope")
	var missing config.SharedConfigProfileNotExistError
	assert.True(t, errors.As(err, &missing), "got %v", err)
}
