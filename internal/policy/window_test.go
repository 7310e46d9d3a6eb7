package policy

import (
	"strings"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		hours string
		days  []string
		when  string // Berlin time; 2030-01-04 is a Friday
		want  bool
	}{
		{"08:00-18:00", nil, "2030-01-04 08:00", true},
		{"08:00-18:00", nil, "2030-01-04 17:59", true},
		{"08:00-18:00", nil, "2030-01-04 18:00", false},
		{"08:00-18:00", nil, "2030-01-04 07:59", false},
		{"08:00-18:00", []string{"mon", "fri"}, "2030-01-04 12:00", true},
		{"08:00-18:00", []string{"mon", "tue"}, "2030-01-04 12:00", false},
		{"22:00-06:00", []string{"fri"}, "2030-01-04 23:00", true},
		{"22:00-06:00", []string{"fri"}, "2030-01-05 05:00", true},  // Saturday morning: Friday's night
		{"22:00-06:00", []string{"fri"}, "2030-01-04 05:00", false}, // Friday morning: Thursday's night
		{"22:00-06:00", nil, "2030-01-04 12:00", false},
		{"00:00-24:00", []string{"sat", "sun"}, "2030-01-05 00:00", true},
		{"00:00-24:00", []string{"sat", "sun"}, "2030-01-04 23:59", false},
		{"00:00-00:00", nil, "2030-01-04 03:00", true},
		// Summer time: 09:00 in Berlin is 07:00 UTC on 2030-07-01.
		{"08:00-18:00", nil, "2030-07-01 09:00", true},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.hours, tt.days, "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Contains(at(tt.when).UTC()); got != tt.want {
			t.Errorf("%s on %v contains %s = %v; want %v", tt.hours, tt.days, tt.when, got, tt.want)
		}
	}
}

func TestParseWindowRefuses(t *testing.T) {
	for _, c := range []struct {
		hours string
		days  []string
		zone  string
		want  string
	}{
		{"8-18", nil, "", "not HH:MM-HH:MM"},
		{"08:00-25:00", nil, "", "not HH:MM-HH:MM"},
		{"08:00-18:60", nil, "", "not HH:MM-HH:MM"},
		{"08:00-18:00", []string{"friday"}, "", `day "friday"`},
		{"08:00-18:00", nil, "Mars/Olympus", "not in the tz database"},
	} {
		if _, err := ParseWindow(c.hours, c.days, c.zone); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseWindow(%q, %v, %q) = %v; want %q", c.hours, c.days, c.zone, err, c.want)
		}
	}
}

// FuzzParseWindow: any hours and day text parses or is refused without a
// panic, and a window that parsed answers Contains for any time.
func FuzzParseWindow(f *testing.F) {
	f.Add("08:00-18:00", "mon", int64(0))
	f.Add("22:00-06:00", "fri", int64(1893456000))
	f.Add("00:00-24:00", "", int64(-1))
	f.Fuzz(func(t *testing.T, hours, day string, unix int64) {
		days := strings.Fields(day)
		w, err := ParseWindow(hours, days, "UTC")
		if err != nil {
			return
		}
		if w.Start < 0 || w.Start > 24*time.Hour || w.End < 0 || w.End > 24*time.Hour {
			t.Fatalf("ParseWindow(%q) = %v", hours, w)
		}
		w.Contains(time.Unix(unix, 0))
		_ = w.String()
	})
}
