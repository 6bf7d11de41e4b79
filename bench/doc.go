// Package bench holds side-by-side benchmarks of the verify package against
// go-oidc and against the floor no verifier can beat (the token's RSA
// signature checked with crypto/rsa and nothing else), and of the candidate
// JOSE libraries. It is a module of its own so that the signout module does
// not require the libraries it compares with.
package bench
