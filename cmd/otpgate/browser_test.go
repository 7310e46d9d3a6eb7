package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"otpgate.dev/otpgate/internal/testpeer"
)

// stepTimeout bounds one step in the browser.
const stepTimeout = time.Minute

// startBrowser starts Debian's chromium, headless, with JavaScript off and
// a new empty profile, trusting the one certificate in certFile besides
// the system's roots (by its key's SPKI hash, not by turning checks off).
// The flags keep it from reaching for the network, which this machine
// does not have, and hanging.
func startBrowser(t *testing.T, certFile string) context.Context {
	t.Helper()
	bin := testpeer.Need(t, "chromium")[0]
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(t, certFile)),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// The first call starts the browser and must have no deadline of its
	// own: the browser lives as long as its context.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return ctx
}

// spkiHash is the base64 SHA-256 of the certificate's public key, as
// chromium's --ignore-certificate-errors-spki-list takes it.
func spkiHash(t *testing.T, certFile string) string {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(h[:])
}

// browse runs the steps in the browser, failing t with the step's name.
func browse(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v%s", step, err, where(ctx))
	}
}

// where says which page the browser shows, for a failure's message.
func where(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return fmt.Sprintf("\n(the browser is at %s, showing %q)", loc, body)
}

// get runs one step that returns a value.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("browser: %s: %v%s", step, err, where(ctx))
	}
	return v
}

// pageText is the text of the page's main landmark.
func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, "read the page", chromedp.Text(chromedp.CSS("main")))
}

// wantText fails t unless the page's main landmark contains each of want.
func wantText(t *testing.T, ctx context.Context, step string, want ...string) {
	t.Helper()
	got := pageText(t, ctx)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: the page says %q; want %q in it", step, got, w)
		}
	}
}

// screenshots are the docs' pictures: written to $OTPGATE_SCREENSHOTS
// (docs/img when regenerating them), else to a temporary directory.
type screenshots struct {
	dir string
}

func newScreenshots(t *testing.T) *screenshots {
	if d := os.Getenv("OTPGATE_SCREENSHOTS"); d != "" {
		return &screenshots{dir: d}
	}
	return &screenshots{dir: t.TempDir()}
}

// take captures the whole page at desktop and phone widths as
// NAME-desktop.png and NAME-phone.png, and returns the desktop file.
func (s *screenshots) take(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	desktop := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	browse(t, ctx, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	phone := get(t, ctx, "screenshot "+name+" on a phone", chromedp.FullScreenshot(100))
	browse(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 900))
	path := filepath.Join(s.dir, name+"-desktop.png")
	for file, b := range map[string][]byte{path: desktop, filepath.Join(s.dir, name+"-phone.png"): phone} {
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}
