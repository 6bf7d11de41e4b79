package token

import "strings"

// Issuer is a user pool's issuer URL, read. A pool has one of two forms
// (its IssuerConfigurationType): ORIGINAL,
// https://cognito-idp.REGION.amazonaws.com/POOL_ID, where REGION is the
// region that issued the token (a replica's, for a pool replicated to other
// regions); and UPDATED, https://issuer-cognito-idp.REGION.amazonaws.com/POOL_ID,
// where REGION is the pool's primary region whichever region issued it. In
// China regions the domain is amazonaws.com.cn.
type Issuer struct {
	Region  string // the region named in the host
	PoolID  string // the user pool id, shared by its replicas
	Updated bool   // the UPDATED form
}

// ParseIssuer reads s as a user pool's issuer URL, and reports false when
// it is not one. It is strict, so that a crafted token cannot steer a
// request to another host through the region it names.
func ParseIssuer(s string) (Issuer, bool) {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		return Issuer{}, false
	}
	host, pool, ok := strings.Cut(rest, "/")
	if !ok || !IsPoolID(pool) {
		return Issuer{}, false
	}
	var i Issuer
	if h, ok := strings.CutPrefix(host, "issuer-cognito-idp."); ok {
		host, i.Updated = h, true
	} else if host, ok = strings.CutPrefix(host, "cognito-idp."); !ok {
		return Issuer{}, false
	}
	region, domain, _ := strings.Cut(host, ".")
	if !IsRegion(region) || domain != Domain(region) {
		return Issuer{}, false
	}
	i.Region, i.PoolID = region, pool
	return i, true
}

// String returns the issuer URL.
func (i Issuer) String() string {
	if i.PoolID == "" {
		return ""
	}
	host := "cognito-idp."
	if i.Updated {
		host = "issuer-cognito-idp."
	}
	return "https://" + host + i.Region + "." + Domain(i.Region) + "/" + i.PoolID
}

// Domain returns the domain of AWS endpoints in region: amazonaws.com.cn
// in China, amazonaws.com elsewhere.
func Domain(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// IsRegion reports whether s is an AWS region name, such as us-east-1 or
// us-gov-west-1: two lowercase letters, one or more lowercase words, and a
// number of one or two digits, joined by hyphens.
func IsRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !isLower(parts[0]) {
		return false
	}
	for _, w := range parts[1 : len(parts)-1] {
		if w == "" || !isLower(w) {
			return false
		}
	}
	n := parts[len(parts)-1]
	return (len(n) == 1 || len(n) == 2) && isDigits(n)
}

// IsPoolID reports whether id has the form of a user pool id in Cognito's
// API, [\w-]+_[0-9a-zA-Z]+ in at most 55 bytes, such as us-east-1_AbC123.
func IsPoolID(id string) bool {
	i := strings.LastIndexByte(id, '_')
	if i < 1 || i == len(id)-1 || len(id) > 55 {
		return false
	}
	for j := 0; j < len(id); j++ {
		c := id[j]
		ok := isAlnum(c) || j <= i && (c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// PoolRegion returns the region a user pool id begins with, its primary
// region, and false when id is not a pool id that begins with a region.
func PoolRegion(id string) (string, bool) {
	if !IsPoolID(id) {
		return "", false
	}
	r := id[:strings.LastIndexByte(id, '_')]
	return r, IsRegion(r)
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
