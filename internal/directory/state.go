package directory

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// userAccountControl and msDS-User-Account-Control-Computed flags
// ([MS-ADTS] 2.2.16).
const (
	uacAccountDisable  = 0x2
	uacLockout         = 0x10
	uacPasswordExpired = 0x800000
)

// ppolicyAdminLock is the pwdAccountLockedTime an administrator sets to lock
// an account until it is unlocked (draft-behera-ldap-password-policy-11
// section 5.3.3). Any other value is a lock after failed binds, which slapd
// itself enforces at the bind and lifts after pwdLockoutDuration; refusing
// it here, before the bind, would keep it from ever lapsing.
const ppolicyAdminLock = "000001010000Z"

// filetimeToUnix is the number of seconds from 1601-01-01, the epoch of
// accountExpires, to 1970-01-01.
const filetimeToUnix = 11644473600

// accountStatus says why e's account cannot log in, or "" if it can. A value
// it cannot read refuses the account: a directory that says something
// otpgate does not understand is not a yes.
func accountStatus(e *ldap.Entry, now time.Time) string {
	checks := []func(*ldap.Entry, time.Time) string{adControl, adExpiry, ppolicyLock}
	for _, check := range checks {
		if s := check(e, now); s != "" {
			return s
		}
	}
	return ""
}

func adControl(e *ldap.Entry, _ time.Time) string {
	for _, a := range []string{attrUAC, attrUACComputed} {
		v := e.GetEqualFoldAttributeValue(a)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Sprintf("unreadable %s %q", a, v)
		}
		switch {
		case n&uacAccountDisable != 0 && a == attrUAC:
			return "disabled (userAccountControl ACCOUNTDISABLE)"
		case n&uacLockout != 0:
			return fmt.Sprintf("locked out (%s LOCKOUT)", a)
		case n&uacPasswordExpired != 0:
			return fmt.Sprintf("password expired (%s PASSWORD_EXPIRED)", a)
		}
	}
	return ""
}

// adExpiry reads accountExpires: 100 ns intervals since 1601, with 0 and
// the largest int64 meaning never ([MS-ADA1] 2.21).
func adExpiry(e *ldap.Entry, now time.Time) string {
	v := e.GetEqualFoldAttributeValue(attrExpires)
	if v == "" {
		return ""
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return fmt.Sprintf("unreadable accountExpires %q", v)
	}
	if n == 0 || n == math.MaxInt64 {
		return ""
	}
	at := time.Unix(n/10_000_000-filetimeToUnix, 0).UTC()
	if !now.Before(at) {
		return "expired (accountExpires " + at.Format(time.RFC3339) + ")"
	}
	return ""
}

func ppolicyLock(e *ldap.Entry, _ time.Time) string {
	if e.GetEqualFoldAttributeValue(attrPwdLocked) == ppolicyAdminLock {
		return "locked by an administrator (pwdAccountLockedTime " + ppolicyAdminLock + ")"
	}
	return ""
}
