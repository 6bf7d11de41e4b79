// Package workspace holds one test, which runs the tests of the
// repository's other Go modules (redisstore, bench) from the root's
// `go test ./...`: a directory pattern stops at a nested go.mod, go.work or
// not, so without it the README's test command would skip them.
package workspace
