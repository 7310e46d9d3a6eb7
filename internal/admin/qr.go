package admin

import (
	"fmt"
	"path/filepath"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// qrModule is the size of one QR module in pixels (PNG) or user units (SVG).
const qrModule = 8

// Terminal colours (ECMA-48 SGR) of the terminal QR code: black modules on
// a bright white ground whatever the theme, since a code drawn in the
// theme's own colours is inverted on a light or a dark one.
const (
	qrColours = "\x1b[30;107m"
	qrReset   = "\x1b[0m"
)

// QRTerminal returns the QR code of uri (quiet zone included) drawn with
// Unicode half blocks, two modules a cell, in explicit colours, for a
// terminal.
func QRTerminal(uri string) (string, error) {
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("admin: QR code: %w", err)
	}
	bm := q.Bitmap()
	var b strings.Builder
	for y := 0; y < len(bm); y += 2 {
		b.WriteString(qrColours)
		for x := range bm[y] {
			bottom := y+1 < len(bm) && bm[y+1][x]
			b.WriteString(halfBlock(bm[y][x], bottom))
		}
		b.WriteString(qrReset + "\n")
	}
	return b.String(), nil
}

// halfBlock draws a cell whose upper and lower halves are dark or not.
func halfBlock(top, bottom bool) string {
	switch {
	case top && bottom:
		return "█"
	case top:
		return "▀"
	case bottom:
		return "▄"
	}
	return " "
}

// QRImage returns the QR code of uri as a PNG or SVG image, by the extension
// of name (".png" or ".svg", any case).
func QRImage(name, uri string) ([]byte, error) {
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("admin: QR code: %w", err)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		b, err := q.PNG(-qrModule)
		if err != nil {
			return nil, fmt.Errorf("admin: QR code: %w", err)
		}
		return b, nil
	case ".svg":
		return svg(q.Bitmap()), nil
	}
	return nil, fmt.Errorf("admin: QR file %q: unknown image type (accepted: a name ending in .png or .svg)", name)
}

// svg draws a QR bitmap (quiet zone included) as one path of unit squares.
func svg(bm [][]bool) []byte {
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`+"\n", n*qrModule, n*qrModule, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n<path fill=\"#000\" d=\"", n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString("\"/>\n</svg>\n")
	return []byte(b.String())
}

// WriteQR writes the QR code of uri to a new file name (mode 0600, whole or
// not at all; an existing file is never overwritten: atomicfile.Create), as
// PNG or SVG by name's extension.
func WriteQR(name, uri string) error {
	img, err := QRImage(name, uri)
	if err != nil {
		return err
	}
	if err := atomicfile.Create(name, img); err != nil {
		return fmt.Errorf("admin: QR file: %w", err)
	}
	return nil
}
