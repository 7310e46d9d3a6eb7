package admin

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// theme is a terminal's default colours, used where the text sets none.
type theme struct {
	name   string
	fg, bg color.Gray
}

var themes = []theme{
	{"dark", color.Gray{0xee}, color.Gray{0x11}},
	{"light", color.Gray{0x11}, color.Gray{0xee}},
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

// render draws terminal text as a terminal of theme t would: each cell two
// pixels high, the half blocks in the foreground colour, the rest in the
// background colour, with the SGR colours black and white it sets.
func render(text string, t theme) *image.Gray {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	const scale = 4
	width := 0
	for _, l := range lines {
		width = max(width, len([]rune(sgr.ReplaceAllString(l, ""))))
	}
	img := image.NewGray(image.Rect(0, 0, width*scale, 2*len(lines)*scale))
	for y, line := range lines {
		fg, bg := t.fg, t.bg
		x := 0
		for len(line) > 0 {
			if m := sgr.FindStringSubmatchIndex(line); m != nil && m[0] == 0 {
				for _, p := range strings.Split(line[m[2]:m[3]], ";") {
					n, _ := strconv.Atoi(p)
					switch {
					case n == 0:
						fg, bg = t.fg, t.bg
					case n == 30 || n == 90:
						fg = color.Gray{0}
					case n == 37 || n == 97:
						fg = color.Gray{0xff}
					case n == 40 || n == 100:
						bg = color.Gray{0}
					case n == 47 || n == 107:
						bg = color.Gray{0xff}
					}
				}
				line = line[m[1]:]
				continue
			}
			r, size := []rune(line)[0], len(string([]rune(line)[0]))
			line = line[size:]
			top, bottom := bg, bg
			switch r {
			case '█':
				top, bottom = fg, fg
			case '▀':
				top = fg
			case '▄':
				bottom = fg
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray(x*scale+dx, 2*y*scale+dy, top)
					img.SetGray(x*scale+dx, (2*y+1)*scale+dy, bottom)
				}
			}
			x++
		}
	}
	return img
}

// The terminal QR code reads on a dark and on a light terminal theme:
// zbarimg decodes what each would show.
func TestQRTerminalBothThemes(t *testing.T) {
	zbar := testpeer.Need(t, "zbarimg")[0]
	const uri = "otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"
	text, err := QRTerminal(uri)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range themes {
		path := filepath.Join(t.TempDir(), th.name+".png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, render(text, th))
		f.Close()
		out, err := exec.Command(zbar, "--raw", "-q", path).Output()
		if got := strings.TrimRight(string(out), "\n"); err != nil || got != uri {
			t.Errorf("zbarimg of the QR code on a %s terminal = %q, %v; want %q", th.name, got, err, uri)
		}
	}
}
