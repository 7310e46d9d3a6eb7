package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/web"
)

// VerifyRequest is the body of POST /api/v1/verify.
type VerifyRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Code     string `json:"code"`
	// ChallengeID answers a challenge an earlier call returned.
	ChallengeID string `json:"challenge_id"`
	// Client is the address of the user's machine, as the caller saw it.
	// Failed logins count against it whatever the user ([policy]
	// client_*). Without it nothing is counted by address: the caller's
	// own address is a server's that logs many users in.
	Client string `json:"client"`
}

// VerifyResponse is its answer.
type VerifyResponse struct {
	Result    string     `json:"result"`         // accept, reject or challenge
	User      string     `json:"user,omitempty"` // on accept: who logged in
	Challenge *Challenge `json:"challenge,omitempty"`
}

// Challenge is a second step to answer with challenge_id and the code.
type Challenge struct {
	ID      string    `json:"id"`
	Prompt  string    `json:"prompt"`
	Expires time.Time `json:"expires"`
}

// maxField bounds each field: a password or a code is never this long.
const maxField = 1024

type verifyHandler struct{ svc Service }

func (h verifyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req VerifyRequest
	if err := decode(r, &req); err != nil {
		web.WriteError(w, statusOf(err), err.Error())
		return
	}
	areq, err := req.login()
	if err != nil {
		web.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	areq.Frontend, areq.Source = Frontend, source(r)
	resp, err := h.svc.Authenticate(r.Context(), areq)
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "the login service failed; refuse the login and try again later")
		return
	}
	a := answer(resp)
	web.RequestInfo(r).Result = a.Result
	web.WriteJSON(w, http.StatusOK, a)
}

// login maps the fields given onto a login style: password and code
// together, the password alone (a challenge follows), the code alone (a
// code that names its token needs no user), or the answer to a challenge.
func (v *VerifyRequest) login() (auth.Request, error) {
	for name, f := range map[string]string{"user": v.User, "password": v.Password, "code": v.Code, "challenge_id": v.ChallengeID} {
		if len(f) > maxField {
			return auth.Request{}, fmt.Errorf("%s is longer than %d bytes", name, maxField)
		}
	}
	r := auth.Request{User: v.User, Password: v.Password, Code: v.Code, ChallengeID: v.ChallengeID}
	if v.Client != "" {
		a, err := netip.ParseAddr(v.Client)
		if err != nil {
			return r, fmt.Errorf("client %q is not an IP address", v.Client)
		}
		r.Client = a.String()
	}
	switch {
	case v.ChallengeID != "":
		if v.Code == "" || v.Password != "" {
			return r, errors.New("an answer to a challenge takes the code and no password")
		}
	case v.Password != "" && v.Code != "":
		r.Style = auth.Separate
	case v.Password != "":
		r.Style = auth.Challenge
	case v.Code != "":
		r.Style, r.Password, r.Code = auth.CodeOnly, v.Code, ""
	default:
		return r, errors.New("nothing to verify: give a code, a password, or both")
	}
	if r.User == "" && r.Style != auth.CodeOnly && v.ChallengeID == "" {
		return r, errors.New("a login with a password needs the user")
	}
	return r, nil
}

func answer(resp auth.Response) VerifyResponse {
	switch resp.Outcome {
	case auth.Accept:
		return VerifyResponse{Result: "accept", User: resp.User}
	case auth.ChallengeIssued:
		c := resp.Challenge
		return VerifyResponse{Result: "challenge", Challenge: &Challenge{ID: c.ID, Prompt: c.Prompt, Expires: c.Expires.UTC()}}
	}
	return VerifyResponse{Result: "reject"}
}

// source is the audit trail's source of a call: the caller's address and
// the key it called with.
func source(r *http.Request) string {
	i := web.RequestInfo(r)
	return i.Source.String() + " key " + i.KeyID
}

// errTooLarge marks a body over the server's limit.
var errTooLarge = errors.New("the request body is too large")

// decode reads one JSON object into v, refusing unknown fields and
// anything after the object.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("Content-Type %q is not JSON (accepted: application/json)", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return fmt.Errorf("the body is not the JSON object this call takes: %s", jsonError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// jsonError describes err without quoting the body, which may hold a
// password.
func jsonError(err error) string {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends early"
	}
	return "malformed JSON"
}

func statusOf(err error) int {
	if errors.Is(err, errTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}
