package openvpn

import "otpgate.dev/otpgate/internal/username"

// Environment variables OpenVPN 2.6 gives its scripts (openvpn(8),
// "Environmental Variables"), with OpenVPN's names.
const (
	EnvScriptType           = "script_type"
	EnvUsername             = "username"
	EnvPassword             = "password" // via-env only, and only with script-security 3
	EnvCommonName           = "common_name"
	EnvUntrustedIP          = "untrusted_ip"
	EnvUntrustedIP6         = "untrusted_ip6"
	EnvTrustedIP            = "trusted_ip"
	EnvTrustedIP6           = "trusted_ip6"
	EnvAuthControlFile      = "auth_control_file"
	EnvAuthPendingFile      = "auth_pending_file"
	EnvAuthFailedReasonFile = "auth_failed_reason_file"
	EnvIVSSO                = "IV_SSO"        // the client's pending-auth methods, e.g. "webauth,crtext"
	EnvSessionID            = "session_id"    // only with --auth-gen-token
	EnvSessionState         = "session_state" // only with --auth-gen-token
	// EnvCertDigest is the SHA-256 digest of the client certificate, which
	// binds otpgate's auth tokens to it when there is one.
	EnvCertDigest = "tls_digest_sha256_0"
)

// Knobs read from `setenv` lines of the server configuration. The totp names
// are those of the SparkLabs TOTP guide (seed 004); the otpgate ones are
// otpgate's own.
const (
	EnvChallengeTimeout = "totpChallengeTimeout"     // seconds or a duration (ParseDuration), default 300
	EnvChallengeText    = "totpChallengeText"        // default "Please enter your TOTP code"
	EnvTokenDBPath      = "totpTokenDbPath"          // the store
	EnvIssuerName       = "totpIssuerName"           // for enrolment, default "OpenVPN Server"
	EnvStyle            = "otpgateStyle"             // crtext, crv1, static, append or code
	EnvTokenKey         = "otpgateAuthTokenKey"      // key file of otpgate's auth tokens
	EnvTokenLifetime    = "otpgateAuthTokenLifetime" // seconds or a duration, default 12h
	EnvHookSocket       = "otpgateHookSocket"        // otpgate serve's openvpn.hook_socket, default DefaultHookSocket
)

// DefaultHookSocket is where the hooks look for `otpgate serve`
// (openvpn.hook_socket in its configuration) before opening the store.
const DefaultHookSocket = "/run/otpgate/openvpn.sock"

// Exit codes of --auth-user-pass-verify (ssl_verify.c verify_user_pass_script).
// Any code but 0 and 2 is a failure.
const (
	ExitSuccess  = 0
	ExitFailure  = 1
	ExitDeferred = 2
)

// Values of session_state set by --auth-gen-token (auth_token.c
// add_session_token_env).
const (
	SessionInitial                = "Initial"
	SessionAuthenticated          = "Authenticated"
	SessionExpired                = "Expired"
	SessionInvalid                = "Invalid"
	SessionAuthenticatedEmptyUser = "AuthenticatedEmptyUser"
	SessionExpiredEmptyUser       = "ExpiredEmptyUser"
)

// Wire prefixes.
const (
	PrefixSCRV1        = "SCRV1:"      // static challenge password
	PrefixCRV1         = "CRV1:"       // dynamic challenge, in AUTH_FAILED
	PrefixCRV1Answer   = "CRV1::"      // the client's answer to a dynamic challenge
	PrefixCRText       = "CR_TEXT:"    // crtext pending-auth EXTRA
	PrefixAuthGenToken = "SESS_ID_AT_" // tokens made by --auth-gen-token
	MethodCRText       = "crtext"
)

// Limits.
const (
	// MaxPassword is USER_PASS_LEN-1 of a PKCS#11 build such as Debian's
	// (misc.h): OpenVPN refuses anything longer.
	MaxPassword = 4095
	// MaxUsername is otpgate's limit of every login name (username.MaxLen).
	MaxUsername = username.MaxLen
	// MaxCode bounds a one-time code or challenge response.
	MaxCode = 64
	// maxExtra keeps "INFO_PRE," plus the pending-auth EXTRA within
	// OpenVPN's PUSH_BUNDLE_SIZE of 1024 bytes.
	maxExtra = 1024 - len("INFO_PRE,")
	// MaxChallengeText bounds the prompt so that every message carrying it fits.
	MaxChallengeText = 512
)
