// Package profile reads a profile from the shared AWS config files, where
// the environment says they are, as the aws CLI and the SDK do.
package profile

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
)

// Load reads profile name from AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE,
// or the default files under ~/.aws. It never touches the network.
func Load(name string) (config.SharedConfig, error) {
	return config.LoadSharedConfigProfile(context.Background(), name, func(o *config.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	})
}
