package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/pskc"
)

// PSKC (RFC 6030) is read and written by package pskc; here its keys become
// records and back. The YubiKey Personalization Tool's PSKC log is read too:
// its Yubico OTP keys use the algorithm below and put the public and private
// ids in UserId as "CN=PUBLIC, UID=PRIVATE".
const (
	pskcFormat          = "PSKC"
	pskcYubicoAlgorithm = "http://www.yubico.com/#yubikey-aes"
)

// ErrNeedUnlock is returned by ParsePSKC for an encrypted container when
// unlock is nil or gives neither a key nor a password.
var ErrNeedUnlock = errors.New("importer: the PSKC container is encrypted: give its pre-shared key or password")

// ParsePSKC reads a PSKC container of at most pskc.MaxSize bytes. When it is
// encrypted, unlock is called with the key names the file gives and returns
// the pre-shared key (raw bytes) or the password; a wrong one gives an error
// wrapping pskc.ErrWrongKey.
//
// Each key becomes a record in document order, Line being its 1-based
// position. User is the key's UserId (Key/UserId, else DeviceInfo/UserId);
// when the file has none, User is empty and the caller must map the key to
// a user, by Serial (DeviceInfo/SerialNo) or by the key Id that Comment
// names. HOTP and TOTP keys must have DECIMAL codes of 6 to 10 digits (6
// when ResponseFormat is absent) and, for TOTP, a start time (Time) of 0.
func ParsePSKC(data []byte, unlock func(names []string) (key, password []byte, err error)) ([]Record, error) {
	c, err := pskc.Parse(data)
	if err != nil {
		if quotesInput(err.Error(), string(data)) {
			return nil, &Error{Format: pskcFormat, Msg: "the document is not well-formed XML or not an RFC 6030 KeyContainer"}
		}
		return nil, fmt.Errorf("importer: PSKC: %w", err)
	}
	if err := decryptPSKC(c, unlock); err != nil {
		return nil, err
	}
	if len(c.Keys) == 0 {
		return nil, nil
	}
	recs := make([]Record, len(c.Keys))
	for i := range c.Keys {
		rec, msg := pskcRecord(&c.Keys[i].KeyData)
		if msg != "" {
			return nil, &Error{Format: pskcFormat, Entry: i + 1, Msg: msg}
		}
		rec.Line = i + 1
		recs[i] = rec
	}
	return recs, nil
}

// decryptPSKC decrypts c, if it is encrypted, with what unlock gives.
func decryptPSKC(c *pskc.Container, unlock func([]string) ([]byte, []byte, error)) error {
	if !c.Encrypted() {
		return nil
	}
	if unlock == nil {
		return ErrNeedUnlock
	}
	key, password, err := unlock(c.KeyNames())
	if err != nil {
		return fmt.Errorf("importer: PSKC: %w", err)
	}
	switch {
	case c.PasswordBased() && password != nil:
		err = c.DecryptPassword(password)
	case !c.PasswordBased() && key != nil:
		err = c.Decrypt(key)
	default:
		return ErrNeedUnlock
	}
	if err != nil {
		return fmt.Errorf("importer: PSKC: %w", err)
	}
	return nil
}

// pskcRecord maps one key to a record, or says what is wrong with it.
func pskcRecord(k *pskc.KeyData) (Record, string) {
	rec := Record{User: k.UserID, Serial: k.SerialNo, Issuer: k.Issuer, Secret: k.Secret}
	if k.ID != "" {
		rec.Comment = "PSKC key " + k.ID
	}
	if msg := checkSecret(k.Secret); msg != "" {
		return Record{}, msg
	}
	if k.UserID != "" {
		if msg := checkUser(k.UserID); msg != "" {
			return Record{}, "UserId: " + msg
		}
	}
	switch k.OTPType() {
	case "hotp":
		rec.Type = TypeHOTP
		if k.Counter != nil {
			rec.Counter = *k.Counter
		}
	case "totp":
		rec.Type = TypeTOTP
		if msg := pskcTime(&rec, k); msg != "" {
			return Record{}, msg
		}
	default:
		if k.Algorithm == pskcYubicoAlgorithm {
			return pskcYubico(rec, k.UserID)
		}
		return Record{}, "the key's Algorithm is not HOTP, TOTP or Yubico OTP (" + pskc.AlgorithmHOTP + ", " + pskc.AlgorithmTOTP + ")"
	}
	return rec, pskcCodes(&rec, k)
}

// pskcCodes reads the hash, digit count and encoding of an OATH key.
func pskcCodes(rec *Record, k *pskc.KeyData) string {
	alg, err := k.Hash()
	if err != nil {
		return "AlgorithmParameters/Suite is not HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512"
	}
	rec.Algorithm, rec.Digits = alg, k.Digits
	if rec.Digits == 0 {
		rec.Digits = otp.DefaultDigits
	}
	switch {
	case rec.Digits < otp.MinDigits || rec.Digits > otp.MaxDigits:
		return "ResponseFormat Length is not 6 to 10 digits"
	case k.Encoding != "" && !strings.EqualFold(k.Encoding, "DECIMAL"):
		return "ResponseFormat Encoding is not DECIMAL"
	}
	return ""
}

// pskcTime reads the TOTP step, start and drift.
func pskcTime(rec *Record, k *pskc.KeyData) string {
	rec.Period = int(otp.DefaultPeriod.Seconds())
	if k.TimeInterval != nil {
		if *k.TimeInterval < 1 || *k.TimeInterval > 86400 {
			return "TimeInterval is not 1 to 86400 seconds"
		}
		rec.Period = int(*k.TimeInterval)
	}
	if k.Time != nil && *k.Time != 0 {
		return "Time (the TOTP start time T0) is not 0, which otpgate requires"
	}
	if k.TimeDrift != nil {
		if *k.TimeDrift < -1e6 || *k.TimeDrift > 1e6 {
			return "TimeDrift is more than a million steps"
		}
		rec.Drift = int(*k.TimeDrift)
	}
	return ""
}

// pskcYubico reads a Yubico OTP key of the Personalization Tool's PSKC log.
func pskcYubico(rec Record, userID string) (Record, string) {
	const want = "a Yubico OTP key needs UserId \"CN=PUBLIC ID, UID=PRIVATE ID\" (modhex, hex)"
	cn, uid, ok := strings.Cut(userID, ",")
	pub, ok1 := strings.CutPrefix(strings.TrimSpace(cn), "CN=")
	priv, ok2 := strings.CutPrefix(strings.TrimSpace(uid), "UID=")
	if !ok || !ok1 || !ok2 {
		return Record{}, want
	}
	y, msg := yubicoOTPRecord(pub, priv, fmt.Sprintf("%x", rec.Secret))
	if msg != "" {
		return Record{}, msg
	}
	y.Serial, y.Issuer, y.Comment = rec.Serial, rec.Issuer, rec.Comment
	return y, ""
}

// WritePSKC writes HOTP and TOTP records as a PSKC container that python-pskc
// and package pskc read back as the same tokens, encrypted as opts says
// (give opts.Password or opts.Key for an export that leaves the machine).
// Each key gets Id 1, 2, ... and UserId (if User is set), Issuer and
// DeviceInfo/SerialNo from the record. Other types, and invalid records, fail
// the whole call.
func WritePSKC(records []Record, opts pskc.EncodeOptions) ([]byte, error) {
	keys := make([]pskc.KeyData, len(records))
	for i := range records {
		k, msg := pskcKey(&records[i])
		if msg != "" {
			return nil, recordError(pskcFormat, i, msg)
		}
		k.ID = strconv.Itoa(i + 1)
		keys[i] = k
	}
	out, err := pskc.Encode(keys, opts)
	if err != nil {
		return nil, fmt.Errorf("importer: PSKC: %w", err)
	}
	return out, nil
}

// pskcKey maps a record to a key, or says why it cannot.
func pskcKey(r *Record) (pskc.KeyData, string) {
	if msg := r.validate(); msg != "" {
		return pskc.KeyData{}, msg
	}
	if r.User != "" {
		if msg := checkUser(r.User); msg != "" {
			return pskc.KeyData{}, msg
		}
	}
	k := pskc.KeyData{UserID: r.User, Issuer: r.Issuer, SerialNo: r.Serial, Suite: "HMAC-" + r.Algorithm.String(),
		Digits: r.Digits, Encoding: "DECIMAL", Secret: r.Secret}
	switch r.Type {
	case TypeHOTP:
		counter := r.Counter
		k.Algorithm, k.Counter = pskc.AlgorithmHOTP, &counter
	case TypeTOTP:
		period, drift := int64(r.Period), int64(r.Drift)
		k.Algorithm, k.TimeInterval = pskc.AlgorithmTOTP, &period
		if drift != 0 {
			k.TimeDrift = &drift
		}
	default:
		return pskc.KeyData{}, fmt.Sprintf("a %s token cannot be written to PSKC (accepted: hotp, totp)", r.Type)
	}
	return k, ""
}
