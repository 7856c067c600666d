package digest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type sentMail struct{ to, subject, body string }

type fakeSender struct {
	sent []sentMail
	fail map[string]error
}

func (f *fakeSender) Send(to, subject, body string) error {
	if err := f.fail[to]; err != nil {
		return err
	}
	f.sent = append(f.sent, sentMail{to, subject, body})
	return nil
}

var _ Sender = (*SMTPSender)(nil)

func TestRunSendsDigests(t *testing.T) {
	since := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	errRelay := errors.New("relay down")
	fake := &fakeSender{fail: map[string]error{"bob@example.com": errRelay}}
	job := &Job{Sender: fake, Since: since}
	subs := []Subscriber{
		{Email: "ada@example.com", Name: "Ada", Topics: []string{"Go"}},
		{Email: "bob@example.com", Topics: []string{"go"}},
		{Email: "cy@example.com", Topics: []string{"go"}, Paused: true},
	}
	articles := []Article{
		{Title: "Generics", URL: "https://x/1", Topic: "go", Published: since.Add(time.Hour)},
		{Title: "Iterators", URL: "https://x/2", Topic: "go", Published: since.Add(2 * time.Hour)},
	}
	rep, err := job.Run(subs, articles)
	if !errors.Is(err, errRelay) {
		t.Errorf("Run error = %v, want it to wrap the relay error", err)
	}
	if rep.Sent != 1 || rep.Skipped != 1 || len(rep.Failed) != 1 || rep.Failed[0] != "bob@example.com" {
		t.Errorf("report = %+v", rep)
	}
	if len(fake.sent) != 1 || fake.sent[0].to != "ada@example.com" {
		t.Fatalf("sent = %+v, want one mail to ada", fake.sent)
	}
	if got := fake.sent[0].subject; got != "Your digest: 2 new articles" {
		t.Errorf("subject = %q", got)
	}
	if body := fake.sent[0].body; strings.Index(body, "Iterators") > strings.Index(body, "Generics") {
		t.Errorf("newest article should come first:\n%s", body)
	}
}

func TestSelectArticlesLimit(t *testing.T) {
	since := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	var articles []Article
	for i := 0; i < 8; i++ {
		articles = append(articles, Article{Title: "a", Topic: "go", Published: since.Add(time.Duration(i+1) * time.Hour)})
	}
	sub := Subscriber{Topics: []string{"go"}}
	if got := SelectArticles(sub, articles, since, 0); len(got) != DefaultMaxArticles {
		t.Errorf("limit 0: got %d articles, want %d", len(got), DefaultMaxArticles)
	}
	if got := SelectArticles(sub, articles, since, 3); len(got) != 3 || !got[0].Published.Equal(since.Add(8*time.Hour)) {
		t.Errorf("limit 3: got %+v", got)
	}
}

func TestRenderDigestSingular(t *testing.T) {
	since := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	subject, body := RenderDigest(Subscriber{Topics: []string{"go"}}, []Article{{Title: "T", URL: "u", Topic: "go"}}, since)
	if subject != "Your digest: 1 new article" {
		t.Errorf("subject = %q", subject)
	}
	if !strings.HasPrefix(body, "Hi there,\n\nhere is what's new since Mon May 6:\n\n* T [go]\n  u\n") {
		t.Errorf("body = %q", body)
	}
}
