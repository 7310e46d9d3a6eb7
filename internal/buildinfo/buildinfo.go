// Package buildinfo says which otpgate this is: the module version and VCS
// revision the go command records in the binary (runtime/debug.ReadBuildInfo),
// or the ones a release build sets with the linker:
//
//	-ldflags "-X otpgate.dev/otpgate/internal/buildinfo.version=v1.2.3
//	          -X otpgate.dev/otpgate/internal/buildinfo.revision=COMMIT"
//
// The Makefile's build and release targets set both from git, so a binary
// built by them says what it is even where -buildvcs=false is in force. Use
// [Get].
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set with -ldflags -X; empty means "ask debug.ReadBuildInfo".
var version, revision string

// Devel is the version of a build that recorded none (go run, or go build
// outside a git checkout or with -buildvcs=false).
const Devel = "(devel)"

// Info identifies a build.
type Info struct {
	Version   string // "v1.2.3", a pseudo-version, or Devel
	Revision  string // the VCS commit, or "" when unknown
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string // "go1.26.8"
	Platform  string // "linux/amd64"
}

// Get returns this binary's build information.
func Get() Info {
	i := Info{Version: version, Revision: revision, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&i, bi)
	}
	if i.Version == "" {
		i.Version = Devel
	}
	return i
}

// fromBuildInfo fills what the linker flags left empty.
func fromBuildInfo(i *Info, bi *debug.BuildInfo) {
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != Devel {
		i.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && i.Revision == "":
			i.Revision = s.Value
		case s.Key == "vcs.modified" && s.Value == "true" && revision == "":
			i.Modified = true
		}
	}
}

// Known reports whether the build recorded a version or a revision.
func (i Info) Known() bool { return i.Version != Devel || i.Revision != "" }

// String is the one line `otpgate version` prints after "otpgate ".
func (i Info) String() string {
	rev := i.Revision
	switch {
	case rev == "":
		rev = "unknown"
	case i.Modified:
		rev += ", modified"
	}
	return fmt.Sprintf("%s (revision %s, %s, %s)", i.Version, rev, i.GoVersion, i.Platform)
}
