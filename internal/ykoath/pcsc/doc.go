// Package pcsc opens the YubiKey OATH applet through PC/SC (pcsc-lite's
// pcscd on Linux, WinSCard on Windows, the PCSC framework on macOS) for
// package ykoath, with github.com/ebfe/scard.
//
// Use [Open] to get the first reader whose card answers SELECT of the OATH
// applet, pass the [Card] to ykoath.NewSession, and Close it when done.
// Like OpenConnect's yubikey.c, Open connects in shared mode with protocol
// T=1 and holds a PC/SC transaction until Close, so no other program can
// interleave commands. Builds without cgo get a stub whose Open reports
// that PC/SC support is not compiled in.
package pcsc
