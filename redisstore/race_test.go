//go:build race

package redisstore

// raceDetector is true when the tests run with -race: its instrumented API
// processes answer too slowly, on a loaded machine, for their answers'
// latency to measure the library's.
const raceDetector = true
