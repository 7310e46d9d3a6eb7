package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}
	for _, tt := range []struct {
		name             string
		ldVersion, ldRev string
		main             string
		settings         []debug.BuildSetting
		want             Info
		wantKnown        bool
	}{
		{"go run", "", "", Devel, nil, Info{Version: Devel}, false},
		{"go build in a checkout", "", "", "v0.0.0-20260101000000-0123abcd0000+dirty", vcs,
			Info{Version: "v0.0.0-20260101000000-0123abcd0000+dirty", Revision: "0123abcd", Modified: true}, true},
		{"go install module@v1.2.3", "", "", "v1.2.3", nil, Info{Version: "v1.2.3"}, true},
		{"release ldflags win", "v2.0.0", "feedface", Devel, vcs, Info{Version: "v2.0.0", Revision: "feedface"}, true},
		{"-buildvcs=false with a revision", "", "", Devel, vcs[:1], Info{Version: Devel, Revision: "0123abcd"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			version, revision = tt.ldVersion, tt.ldRev
			defer func() { version, revision = "", "" }()
			got := Info{Version: version, Revision: revision}
			fromBuildInfo(&got, &debug.BuildInfo{Main: debug.Module{Version: tt.main}, Settings: tt.settings})
			if got.Version == "" {
				got.Version = Devel
			}
			if got != tt.want || got.Known() != tt.wantKnown {
				t.Errorf("fromBuildInfo = %+v (known %v); want %+v (known %v)", got, got.Known(), tt.want, tt.wantKnown)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		i    Info
		want string
	}{
		{Info{Version: Devel, GoVersion: "go1.26.8", Platform: "linux/amd64"}, "(devel) (revision unknown, go1.26.8, linux/amd64)"},
		{Info{Version: "v1.0.0", Revision: "abc", Modified: true, GoVersion: "go1.26.8", Platform: "linux/arm64"}, "v1.0.0 (revision abc, modified, go1.26.8, linux/arm64)"},
	} {
		if got := tt.i.String(); got != tt.want {
			t.Errorf("%+v.String() = %q; want %q", tt.i, got, tt.want)
		}
	}
}
