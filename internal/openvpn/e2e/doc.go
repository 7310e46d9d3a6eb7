// Package e2e holds otpgate's end-to-end tests against Debian's OpenVPN 2.6:
// a real server with a tun device in a network namespace the test creates,
// real clients (--dev null) in a second namespace joined to it by a veth
// pair, and otpgate's script hooks and management-interface code in between.
// The tests need Linux, root, openvpn, openssl and ip; they never skip.
//
// The server runs this package's test binary as its scripts: TestMain turns
// `e2e.test otpgate-e2e-hook verify ...` into [openvpn.Hook.Run] with a test
// login service, exactly what `otpgate openvpn verify ...` does with the real
// one (see hookCommand).
package e2e
