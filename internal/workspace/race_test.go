//go:build race

package workspace

func init() { raceEnabled = true }
