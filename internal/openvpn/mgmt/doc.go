// Package mgmt speaks OpenVPN's management interface (OpenVPN 2.6
// doc/management-notes.txt, interface version 5) for both ends of a VPN.
//
// [Server] is otpgate's management-interface mode: it connects to an OpenVPN
// server started with --management and --management-client-auth, and answers
// every >CLIENT:CONNECT, >CLIENT:REAUTH and >CLIENT:CR_RESPONSE with
// client-auth, client-deny or client-pending-auth, deciding with an
// [openvpn.Authenticator]. No process is forked per login, each login is
// handled on its own goroutine so a slow one never holds up the others, and
// the connection is re-established with backoff when OpenVPN restarts.
//
// [Client] is the helper behind `otpgate openvpn client`: it drives a local
// OpenVPN client started with --management-query-passwords and
// --management-hold (see [ClientFlags]), answering the username/password
// prompt, the static challenge, CRV1 dynamic challenges and crtext
// challenges with codes from a callback, and falling back to asking the
// user after two refused codes.
//
// Command parameters are quoted with [Quote], which follows OpenVPN's config
// file rules and refuses what OpenVPN could not parse back.
package mgmt
