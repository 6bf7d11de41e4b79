package signout

// Sentinels lists every sentinel error, for the tests.
var Sentinels = sentinels

// FromSDK and KindForCode expose the error mapping to the tests.
var (
	FromSDK     = mapper{}.FromSDK
	KindForCode = kindForCode
)
