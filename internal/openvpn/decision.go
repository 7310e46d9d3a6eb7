package openvpn

import "time"

// Verdict is what OpenVPN is told about a login.
type Verdict int

const (
	// Reject fails the login: script exit 1, or client-deny.
	Reject Verdict = iota
	// Accept lets the client in: script exit 0, or client-auth.
	Accept
	// Pending defers the login with a crtext challenge: auth_pending_file
	// and exit 2, or client-pending-auth. The answer comes later through
	// --client-crresponse or >CLIENT:CR_RESPONSE.
	Pending
	// Challenge fails the login with a CRV1 dynamic challenge as the client
	// reason; the client reconnects with the answer.
	Challenge
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Pending:
		return "pending"
	case Challenge:
		return "challenge"
	}
	return "reject"
}

// Decision is the verdict on one login and what OpenVPN needs to carry it
// out. Only the fields of its verdict are set.
type Decision struct {
	Verdict Verdict
	User    string // the user the login is for
	// Pending: the EXTRA, how long the client has to answer, and the
	// challenge the answer must name.
	CRText      CRText
	Timeout     time.Duration
	ChallengeID string
	// Challenge: the dynamic challenge to send as the client reason.
	CRV1 CRV1
	// Why is for the log only; it never holds a secret, and the client is
	// never told why it was refused.
	Why string
}

// ClientReason returns the text to send the client with AUTH_FAILED: the
// CRV1 challenge, or nothing.
func (d Decision) ClientReason() string {
	if d.Verdict == Challenge {
		return d.CRV1.String()
	}
	return ""
}

func rejected(user, why string) Decision {
	return Decision{Verdict: Reject, User: user, Why: why}
}
