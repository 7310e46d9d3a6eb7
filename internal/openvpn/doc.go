// Package openvpn makes otpgate the second factor of an OpenVPN 2.6 server.
//
// It speaks OpenVPN's script interface, as documented in openvpn(8)
// ("Script hooks": --auth-user-pass-verify, --client-crresponse,
// --client-connect) and in OpenVPN's doc/management-notes.txt
// ("Challenge/Response Protocol"): the credentials a script receives via-file
// or via-env, the three deferred-auth files (auth_control_file,
// auth_pending_file, auth_failed_reason_file), exit codes 0, 1 and 2, the
// static challenge (SCRV1), the dynamic challenge (CRV1), the crtext pending
// challenge (CR_TEXT) and the session_state of --auth-gen-token.
//
// Use a [Hook] for the scripts: `otpgate openvpn verify`, `crresponse` and
// `client-connect` each build one and call [Hook.Verify], [Hook.CRResponse]
// or [Hook.ClientConnect] with the process environment ([OSEnv]) and the
// arguments OpenVPN appended. The decisions themselves are made by an
// [Authenticator], which the management-interface mode (package mgmt) shares,
// so that a login is judged the same way whichever path it takes.
//
// Every failure, including a malformed input, a missing file or a login
// service error, refuses the login: a script never lets a user in by
// failing. Nothing here builds a path, a shell word or a log line from a
// username, password or code without checking or quoting it first, and no
// password, code or token is ever written to a log.
package openvpn
