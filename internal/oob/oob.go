// Package oob sends one-time codes out of band, by email or SMS, and checks
// them: the email and SMS tokens of seed 003 ("Token Assignment
// Properties"), whose code is sent to the user's mail address or to the
// email alias of a phone (5551234567@sms.example.net) and lives 15 minutes
// by default.
//
// Use [New] with [Settings] (start from [DefaultSettings]), a store that
// has the out-of-band methods ([Store]) and the secret box, then
// [Service.Send] once the first factor of a login is accepted, and
// [Service.Verify] with the code the user typed.
//
// # Rules
//
//   - A code is 6 to 8 digits drawn uniformly from crypto/rand. The store
//     keeps only an HMAC-SHA256 of it, under a key derived from the master
//     key ([secretbox.Box.MAC]), over the user, the token and the challenge
//     it was sent for: a database read without the key file tells nothing
//     about the code, and a code answers only the login it was sent for. A
//     keyed hash rather than a sealed copy, because nothing ever needs the
//     code back. A master key rotation finished while a code is pending
//     makes that code fail; the user asks for another.
//   - A code is accepted once and before it expires: the store deletes it
//     by one conditional write ([store.OOBStore.TakeOOBCode]), as a counter
//     is committed for HOTP. Every refusal counts a failure on the token,
//     with the lockout of every other token (the engine's max_failures and
//     lock_for); a locked token refuses even the right code.
//   - A new code for the token replaces the pending one, but only after
//     ResendAfter, unless that one has expired or was accepted. A code
//     whose delivery failed is withdrawn at once, so that trying again is
//     not held up.
//   - Each send is counted, per user and per source address, in the store,
//     so that every node sees the same counts: at most SendsPerUser and
//     SendsPerSource sends in any Window.
//   - Sending never outlasts Timeout, and a failure is an error for the
//     caller ([ErrDelivery]), never a panic. Addresses are masked
//     ([Mask]) in every reply, log line and audit row; the code appears in
//     the message only: not in an error (a gateway's reply that quotes it
//     is redacted), a log line, a metric label or the audit trail.
//
// Email is a weaker second factor than an authenticator app: whoever reads
// the mailbox (a shared or forwarded mailbox, a mail provider, a phone
// whose lock screen shows notifications) holds the factor, and SMS adds SIM
// swapping and the carriers' networks. docs/out-of-band.md says what to
// weigh.
package oob

import (
	"errors"
	"time"
)

// Channel is how a code travels.
type Channel string

// The channels, which are also the token types of out-of-band tokens.
const (
	Email Channel = "email"
	SMS   Channel = "sms" // a phone number through the HTTP gateway, or an email-to-SMS alias
)

// Errors of Send. Each is wrapped with the detail; test with errors.Is.
var (
	// ErrTooSoon: the token's last code was sent less than ResendAfter ago.
	ErrTooSoon = errors.New("oob: a code was sent less than the resend interval ago")
	// ErrLimited: the user or the source address reached its send limit.
	ErrLimited = errors.New("oob: too many codes sent")
	// ErrDelivery: the message could not be sent.
	ErrDelivery = errors.New("oob: could not send the code")
	// ErrNoGateway: nothing is configured to send to this kind of address.
	ErrNoGateway = errors.New("oob: no gateway for this address")
)

// Defaults of Settings: seed 003's lifetime, and limits that let a user
// retry a few times an hour while capping what a stolen password can send.
const (
	DefaultDigits         = 6
	DefaultLifetime       = 15 * time.Minute
	DefaultResendAfter    = time.Minute
	DefaultSendsPerUser   = 5
	DefaultSendsPerSource = 20
	DefaultWindow         = time.Hour
	DefaultTimeout        = 10 * time.Second
	DefaultVPNName        = "VPN"
)

// Bounds of Settings.
const (
	MinDigits   = 6
	MaxDigits   = 8
	MinLifetime = time.Minute
	MaxLifetime = 24 * time.Hour
	MaxTimeout  = 2 * time.Minute
)

// Lockout is the failure policy Verify applies to a token, the engine's
// (engine.Policy MaxFailures and LockFor).
type Lockout struct {
	MaxFailures int           // failures allowed; the next one locks
	LockFor     time.Duration // 0: until an admin unlocks
}

// Settings configure a Service. Start from DefaultSettings: zero is not a
// default for the numbers.
type Settings struct {
	Digits         int
	Lifetime       time.Duration
	ResendAfter    time.Duration
	SendsPerUser   int // within Window
	SendsPerSource int // within Window
	Window         time.Duration
	VPNName        string // {vpn} in the templates
	Lockout        Lockout

	Email EmailTemplates
	// SMSBody is the text of an SMS, whether it goes as an email to an
	// email-to-SMS gateway or through the HTTP gateway.
	SMSBody string

	SMTP *SMTPSettings // nil: no email, and no email-to-SMS
	HTTP *HTTPSettings // nil: no SMS to phone numbers
}

// EmailTemplates are the subject and body of an email, with the fields
// {code}, {lifetime}, {source}, {vpn} and {user}.
type EmailTemplates struct {
	Subject string
	Body    string
}

// Default templates.
const (
	DefaultSubject = "Your {vpn} login code"
	DefaultBody    = "Your {vpn} login code is {code}\n\n" +
		"It is valid for {lifetime}, for one login. The login was requested from {source}.\n" +
		"If you did not try to log in, do not use the code: tell your administrator.\n"
	DefaultSMSBody = "{vpn} code {code}, valid {lifetime}"
)

// DefaultSettings returns the documented defaults, with no gateway.
func DefaultSettings() Settings {
	return Settings{
		Digits: DefaultDigits, Lifetime: DefaultLifetime, ResendAfter: DefaultResendAfter,
		SendsPerUser: DefaultSendsPerUser, SendsPerSource: DefaultSendsPerSource, Window: DefaultWindow,
		VPNName: DefaultVPNName, Lockout: Lockout{MaxFailures: 5, LockFor: 15 * time.Minute},
		Email:   EmailTemplates{Subject: DefaultSubject, Body: DefaultBody},
		SMSBody: DefaultSMSBody,
	}
}
