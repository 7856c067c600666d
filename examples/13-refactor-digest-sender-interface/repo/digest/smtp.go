package digest

import (
	"net/smtp"
	"strings"
)

// SMTPSender delivers plain-text mail through an SMTP relay.
type SMTPSender struct {
	// Addr is the host:port of the relay.
	Addr string
	// From is the envelope and header sender address.
	From string
	// Auth is used to authenticate to the relay; nil means no authentication.
	Auth smtp.Auth
}

// Send delivers one plain-text message to a single recipient.
func (s *SMTPSender) Send(to, subject, body string) error {
	var msg strings.Builder
	msg.WriteString("From: " + s.From + "\r\n")
	msg.WriteString("To: " + to + "\r\n")
	msg.WriteString("Subject: " + subject + "\r\n")
	msg.WriteString("MIME-Version: 1.0\r\n")
	msg.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	msg.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return smtp.SendMail(s.Addr, s.Auth, s.From, []string{to}, []byte(msg.String()))
}
