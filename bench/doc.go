// Package bench holds side-by-side benchmarks of the verify package against
// go-oidc and against the floor no verifier can beat (the token's RSA
// signature checked with crypto/rsa and nothing else), of the candidate JOSE
// libraries, and of signout.Client.SignOut against the raw SDK as
// applications set it up; and the test that reads internal/profile's cases
// with the SDK's config package. It is a module of its own so that the
// signout module does not require the libraries it compares with.
package bench
