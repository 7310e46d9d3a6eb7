package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Window is a time of day, on some days of the week, in a time zone. A
// window whose end is before its start runs over midnight, and belongs to
// the day it starts on: "22:00-06:00" on Fridays holds from Friday 22:00 to
// Saturday 06:00.
type Window struct {
	Start, End time.Duration // since midnight; Start == End is all day
	Days       [7]bool       // by time.Weekday; all false means every day
	Zone       *time.Location
}

// ParseWindow reads hours ("08:00-18:00"), days ("mon".."sun", none for
// every day) and a zone name from the tz database ("" for the system's
// local zone, "UTC", "Europe/Berlin").
func ParseWindow(hours string, days []string, zone string) (*Window, error) {
	w := &Window{Zone: time.Local}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("time zone %q is not in the tz database (accepted: e.g. UTC, Europe/Berlin)", zone)
		}
		w.Zone = loc
	}
	from, to, ok := strings.Cut(hours, "-")
	var err1, err2 error
	w.Start, err1 = parseClock(from)
	w.End, err2 = parseClock(to)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("hours %q is not HH:MM-HH:MM (accepted: e.g. 08:00-18:00, 22:00-06:00 over midnight, 00:00-24:00)", hours)
	}
	for _, d := range days {
		i := slices.Index(weekdays[:], strings.ToLower(d))
		if i < 0 {
			return nil, fmt.Errorf("day %q is not one of %s", d, strings.Join(weekdays[:], ", "))
		}
		w.Days[i] = true
	}
	return w, nil
}

var weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseClock reads HH:MM, 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Contains reports whether t falls in the window.
func (w *Window) Contains(t time.Time) bool {
	local := t.In(w.Zone)
	day := local.Weekday()
	clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second
	switch {
	case w.Start == w.End:
		return w.on(day)
	case w.Start < w.End:
		return clock >= w.Start && clock < w.End && w.on(day)
	case clock >= w.Start:
		return w.on(day)
	case clock < w.End:
		return w.on((day + 6) % 7) // after midnight: the window began the day before
	}
	return false
}

func (w *Window) on(d time.Weekday) bool {
	return w.Days == [7]bool{} || w.Days[d]
}

func (w *Window) String() string {
	clock := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	s := clock(w.Start) + "-" + clock(w.End)
	if w.Days != [7]bool{} {
		var ds []string
		for i, on := range w.Days {
			if on {
				ds = append(ds, weekdays[i])
			}
		}
		s += " on " + strings.Join(ds, ",")
	}
	return s + " " + w.Zone.String()
}
