// Package config reads the configuration file of `otpgate serve`: one TOML
// file (https://toml.io/en/v1.0.0), decoded with github.com/BurntSushi/toml.
// A key the daemon does not know is an error naming its line, so that a typo
// never silently leaves a default in force. Use [Load] for a file and
// [Default] for the configuration of a fresh machine; [Config.Validate]
// checks a configuration built any other way.
//
// Every field has a safe default: with no file at all the daemon listens on
// loopback only, uses the embedded SQLite store in the default data
// directory, and knows no RADIUS client (so it answers no RADIUS request)
// until one is configured.
//
// An example with every key is in docs/serve.md.
package config

import (
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
)

// Defaults for a fresh machine.
const (
	DefaultRADIUSListen = "127.0.0.1:1812"
	DefaultHTTPListen   = "127.0.0.1:9812"
	DefaultLogLevel     = "info"
	DefaultLogFormat    = "text"
)

// Config is the daemon's whole configuration.
type Config struct {
	// DB is the store: a SQLite file path or a postgres:// URL; empty means
	// $OTPGATE_DB, then the default data directory's database.
	DB string `toml:"db"`
	// KeyFile is the master key that seals the secrets; empty means
	// $OTPGATE_KEY_FILE, then master.key beside a SQLite file or in the
	// data directory. Nodes sharing a PostgreSQL database share one key.
	KeyFile string  `toml:"key_file"`
	Log     Log     `toml:"log"`
	Policy  Policy  `toml:"policy"`
	Auth    Auth    `toml:"auth"`
	HTTP    HTTP    `toml:"http"`
	Web     Web     `toml:"web"`
	Portal  Portal  `toml:"portal"`
	RADIUS  RADIUS  `toml:"radius"`
	OpenVPN OpenVPN `toml:"openvpn"`
	LDAP    LDAP    `toml:"ldap"`
	OOB     OOB     `toml:"oob"`
}

// Log configures the daemon's log and the optional audit copy.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
	// AuditFile, when set, receives every audit event as one JSON line as
	// well as the store's audit table.
	AuditFile string `toml:"audit_file"`
	// AuditRetention, when set, is how long the store keeps an audit
	// event: older ones are deleted at start and every hour. Zero keeps
	// every event.
	AuditRetention Duration `toml:"audit_retention"`
}

// Policy is the verification policy; an absent key keeps the engine's
// default (see package engine).
type Policy struct {
	HOTPWindow   *int      `toml:"hotp_window"`
	TOTPBack     *int      `toml:"totp_back"`
	TOTPForward  *int      `toml:"totp_forward"`
	MaxFailures  *int      `toml:"max_failures"` // the consecutive failure that locks: 5 locks at the 5th
	LockFor      *Duration `toml:"lock_for"`     // "0s" locks until an admin unlocks
	ResyncWindow *int      `toml:"resync_window"`
	// ClientMaxFailures, ClientRemember and ClientLockFor bound the failed
	// logins of one client address, whatever users they name
	// (auth.Config.ClientLimit).
	ClientMaxFailures *int      `toml:"client_max_failures"`
	ClientRemember    *Duration `toml:"client_remember"`
	ClientLockFor     *Duration `toml:"client_lock_for"`
	// Rule, Forward and Dictionaries are the login policy (rules.go).
	Rule         []Rule    `toml:"rule"`
	Forward      []Forward `toml:"forward"`
	Dictionaries []string  `toml:"dictionaries"`
}

// Auth configures the login service every front end shares.
type Auth struct {
	// Primary is the password check: "none", "htpasswd:/path",
	// "pam:service" or "ldap" (the [ldap] table).
	Primary          string   `toml:"primary"`
	ChallengeTimeout Duration `toml:"challenge_timeout"`
	ChallengeText    string   `toml:"challenge_text"`
}

// HTTP is the health and metrics listener.
type HTTP struct {
	// Listen is host:port; "off" disables the listener.
	Listen string `toml:"listen"`
}

// RADIUS is the RADIUS authentication server.
type RADIUS struct {
	// Listen is host:port; "off" disables the server.
	Listen    string         `toml:"listen"`
	Workers   int            `toml:"workers"`
	QueueSize int            `toml:"queue_size"`
	ReplyTTL  Duration       `toml:"reply_ttl"`
	Clients   []RADIUSClient `toml:"client"`
	// ReplyCacheMiB bounds the retransmit cache (radius.Config.ReplyCacheBytes).
	ReplyCacheMiB int `toml:"reply_cache_mib"`
}

// RADIUSClient is one NAS.
type RADIUSClient struct {
	Name    string `toml:"name"`
	Address string `toml:"address"` // an address or a CIDR network
	// SecretFile holds the shared secret (its first line); Secret puts it
	// in the configuration itself, which must then not be world-readable.
	SecretFile string `toml:"secret_file"`
	Secret     string `toml:"secret"`
	// Style is append (default), challenge or code.
	Style                            string  `toml:"style"`
	RatePerSecond                    float64 `toml:"rate"`
	Burst                            int     `toml:"burst"`
	AllowMissingMessageAuthenticator bool    `toml:"allow_missing_message_authenticator"`
	// UnauthenticatedRate and UnauthenticatedBurst limit the requests
	// without Message-Authenticator (radius.Client.Unauthenticated).
	UnauthenticatedRate  float64 `toml:"unauthenticated_rate"`
	UnauthenticatedBurst int     `toml:"unauthenticated_burst"`
}

// OpenVPN is the management-interface mode, where the daemon connects to an
// OpenVPN server started with --management-client-auth, and the script
// hooks' socket.
type OpenVPN struct {
	// Management is the interface's address: a unix socket path or
	// host:port; empty disables the mode.
	Management       string           `toml:"management"`
	PasswordFile     string           `toml:"password_file"`
	Style            string           `toml:"style"` // crtext (default), crv1, static, append, code
	ChallengeTimeout openvpn.Duration `toml:"challenge_timeout"`
	// TokenKeyFile holds the key of otpgate's auth-token; empty turns
	// auth tokens off. TokenLifetime bounds a token's life. The two
	// durations take what the hooks' setenv knobs take: "12h" or "43200".
	TokenKeyFile  string           `toml:"token_key_file"`
	TokenLifetime openvpn.Duration `toml:"token_lifetime"`
	// HookSocket is where the script hooks hand their logins to this
	// daemon (package openvpn/handoff); empty turns it off. The socket is
	// mode 0660 in HookSocketGroup (a name or id; empty keeps the
	// daemon's), which must be the OpenVPN user's.
	HookSocket      string `toml:"hook_socket"`
	HookSocketGroup string `toml:"hook_socket_group"`
}

// Duration is a time.Duration written as in Go ("90s", "15m", "1h30m").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (accepted: a number with a unit, e.g. \"90s\", \"15m\", \"1h\")", b)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", b)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the configuration of a fresh machine.
func Default() *Config {
	return &Config{
		Log:    Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		HTTP:   HTTP{Listen: DefaultHTTPListen},
		Web:    defaultWeb(),
		Portal: defaultPortal(),
		RADIUS: RADIUS{Listen: DefaultRADIUSListen},
		Auth:   Auth{Primary: "none"},
	}
}
