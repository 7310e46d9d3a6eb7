package admin

import (
	"errors"
	"testing"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/oob"
)

// DirectoryAddress takes mail for email, and for SMS the first of mobile
// and pager that the configured gateways can send to.
func TestDirectoryAddress(t *testing.T) {
	smtp := oob.Settings{SMTP: &oob.SMTPSettings{}}
	http := oob.Settings{HTTP: &oob.HTTPSettings{}}
	both := oob.Settings{SMTP: smtp.SMTP, HTTP: http.HTTP}
	full := &directory.User{Mail: "a@example.org", Mobile: "+44 20 7946 0001", Pager: "447946000001@sms.example.net"}
	pagerOnly := &directory.User{Pager: full.Pager}
	tests := []struct {
		u    *directory.User
		ch   oob.Channel
		s    oob.Settings
		want string
		err  error
	}{
		{full, oob.Email, smtp, full.Mail, nil},
		{full, oob.SMS, both, full.Mobile, nil},
		{full, oob.SMS, smtp, full.Pager, nil},
		{full, oob.SMS, http, full.Mobile, nil},
		{full, oob.SMS, oob.Settings{}, full.Mobile, nil},
		{pagerOnly, oob.SMS, http, full.Pager, nil},
		{pagerOnly, oob.Email, smtp, "", ErrNoDirectoryAddress},
		{&directory.User{}, oob.SMS, both, "", ErrNoDirectoryAddress},
	}
	for _, tt := range tests {
		got, err := DirectoryAddress(tt.u, tt.ch, tt.s)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("DirectoryAddress(%+v, %s) = %q, %v; want %q, %v", *tt.u, tt.ch, got, err, tt.want, tt.err)
		}
	}
}
