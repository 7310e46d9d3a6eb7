// Package e2e holds end-to-end tests of otpgate's RADIUS server with the
// real login service (auth.Service over the engine, a SQLite store in a
// temporary directory, bcrypt passwords written by htpasswd) against real
// peers from Debian 12:
//
//   - ocserv 1.1 with auth = "radius[...]" (libradcli 1.2) on loopback,
//     and openconnect 9 --authenticate logging in through it, including
//     with --token-mode totp;
//   - strongSwan 5.9 charon: a gateway verifying IKEv1 XAuth through the
//     eap-radius plugin and a client, in two network namespaces;
//   - FreeRADIUS's radclient, and raw packets, for the code-only style,
//     replays and retransmissions;
//   - section 2 of docs/radius.md, its configuration and radclient
//     commands run as written against the built `otpgate serve`.
//
// They cover each style a NAS can be configured with (auth.Appended,
// auth.Challenge, auth.CodeOnly) and the refusals that matter for one-time
// codes: a wrong code, a replayed code, and a retransmitted request that
// must be answered again without being taken for a replay. docs/radius.md
// quotes the peer configurations written here.
//
// The tests need Linux and root (ocserv and charon refuse to start
// otherwise, and namespaces need it); a missing peer fails them, they never
// skip.
package e2e
