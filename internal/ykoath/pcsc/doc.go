// Package pcsc opens the YubiKey OATH applet through PC/SC for package
// ykoath: pcsc-lite's libpcsclite.so.1 (Debian package libpcsclite1),
// loaded at run time without cgo (package dynlib), which talks to pcscd.
// The calls are WinSCard's, as pcsc-lite documents them
// (https://pcsclite.apdu.fr/api/group__API.html).
//
// Use [Open] to get the first reader whose card answers SELECT of the OATH
// applet, pass the [Card] to ykoath.NewSession, and Close it when done.
// Like OpenConnect's yubikey.c, Open connects in shared mode with protocol
// T=1 and holds a PC/SC transaction until Close, so no other program can
// interleave commands. On a machine without libpcsclite.so.1, Open and
// Readers return an error that names the Debian package.
package pcsc
