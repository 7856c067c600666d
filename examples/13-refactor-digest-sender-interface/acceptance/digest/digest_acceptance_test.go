package digest_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"example.com/newsletter/digest"
)

// The task requires this exported API; the old API must be unchanged.
var (
	_ digest.Sender                                                                   = (*digest.SMTPSender)(nil)
	_ func(*digest.SMTPSender, string, string, string) error                          = (*digest.SMTPSender).Send
	_ func(*digest.Job, []digest.Subscriber, []digest.Article) (digest.Report, error) = (*digest.Job).Run
	_ func(digest.Subscriber, []digest.Article, time.Time, int) []digest.Article      = digest.SelectArticles
	_ func(digest.Subscriber, []digest.Article, time.Time) (string, string)           = digest.RenderDigest
	_                                                                                 = digest.Job{Sender: &digest.SMTPSender{}}
)

type mail struct{ To, Subject, Body string }

type fakeSender struct {
	sent []mail
	fail map[string]error
}

func (f *fakeSender) Send(to, subject, body string) error {
	if err := f.fail[to]; err != nil {
		return err
	}
	f.sent = append(f.sent, mail{to, subject, body})
	return nil
}

var since = time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC) // a Monday

func hoursAfter(h int) time.Time { return since.Add(time.Duration(h) * time.Hour) }

var articles = []digest.Article{
	{Title: "Old Go news", URL: "https://n.example/0", Topic: "go", Published: since.Add(-time.Hour)},
	{Title: "Exactly at since", URL: "https://n.example/1", Topic: "go", Published: since},
	{Title: "Generics in practice", URL: "https://n.example/2", Topic: "go", Published: hoursAfter(1)},
	{Title: "Range over func", URL: "https://n.example/3", Topic: "GO", Published: hoursAfter(5)},
	{Title: "Indexes 101", URL: "https://n.example/4", Topic: "databases", Published: hoursAfter(3)},
	{Title: "Vacuum explained", URL: "https://n.example/5", Topic: "Databases", Published: hoursAfter(3)},
	{Title: "Borrow checker", URL: "https://n.example/6", Topic: "rust", Published: hoursAfter(2)},
	{Title: "Old Python", URL: "https://n.example/7", Topic: "python", Published: since.Add(-48 * time.Hour)},
	{Title: "Go 1.22 release", URL: "https://n.example/8", Topic: "go", Published: hoursAfter(7)},
	{Title: "Profiling", URL: "https://n.example/9", Topic: "go", Published: hoursAfter(4)},
}

var (
	ada = digest.Subscriber{Email: "ada@example.com", Name: "Ada", Topics: []string{"Go", "Databases"}}
	bob = digest.Subscriber{Email: "bob@example.com", Topics: []string{"rust"}}
	cy  = digest.Subscriber{Email: "cy@example.com", Name: "Cy", Topics: []string{"go"}, Paused: true}
	dee = digest.Subscriber{Email: "dee@example.com", Name: "Dee", Topics: []string{"go"}}
	eve = digest.Subscriber{Email: "eve@example.com", Name: "Eve", Topics: []string{"python"}}
	nob = digest.Subscriber{Email: "", Name: "Nobody", Topics: []string{"go"}}
)

const adaBody = "Hi Ada,\n\n" +
	"here is what's new since Mon May 6:\n\n" +
	"* Go 1.22 release [go]\n  https://n.example/8\n" +
	"* Range over func [GO]\n  https://n.example/3\n" +
	"* Profiling [go]\n  https://n.example/9\n" +
	"* Indexes 101 [databases]\n  https://n.example/4\n" +
	"* Vacuum explained [Databases]\n  https://n.example/5\n" +
	"\nYou get this mail because you follow Go, Databases.\n" +
	"Reply with PAUSE to stop it.\n"

const bobBody = "Hi there,\n\n" +
	"here is what's new since Mon May 6:\n\n" +
	"* Borrow checker [rust]\n  https://n.example/6\n" +
	"\nYou get this mail because you follow rust.\n" +
	"Reply with PAUSE to stop it.\n"

func TestAcceptanceRunWithFakeSender(t *testing.T) {
	errRelay := errors.New("450 mailbox busy")
	fake := &fakeSender{fail: map[string]error{"dee@example.com": errRelay}}
	job := &digest.Job{Sender: fake, Since: since}

	rep, err := job.Run([]digest.Subscriber{ada, cy, bob, dee, eve, nob}, articles)

	if !errors.Is(err, errRelay) {
		t.Errorf("Run error = %v, want it to wrap the sender's error", err)
	}
	if err == nil || err.Error() != "digest: sending to dee@example.com: 450 mailbox busy" {
		t.Errorf("Run error text = %v, want %q", err, "digest: sending to dee@example.com: 450 mailbox busy")
	}
	wantRep := digest.Report{Sent: 2, Skipped: 3, Failed: []string{"dee@example.com"}}
	if !reflect.DeepEqual(rep, wantRep) {
		t.Errorf("Run report = %+v, want %+v", rep, wantRep)
	}
	want := []mail{
		{"ada@example.com", "Your digest: 5 new articles", adaBody},
		{"bob@example.com", "Your digest: 1 new article", bobBody},
	}
	if len(fake.sent) != len(want) {
		t.Fatalf("sent %d mails, want %d: %+v", len(fake.sent), len(want), fake.sent)
	}
	for i := range want {
		if fake.sent[i] != want[i] {
			t.Errorf("mail %d:\n got %+v\nwant %+v", i, fake.sent[i], want[i])
		}
	}
}

func TestAcceptanceRunNoFailures(t *testing.T) {
	fake := &fakeSender{}
	job := &digest.Job{Sender: fake, Since: since}
	rep, err := job.Run([]digest.Subscriber{bob, eve}, articles)
	if err != nil {
		t.Fatalf("Run error: %v", err)
	}
	if rep.Sent != 1 || rep.Skipped != 1 || rep.Failed != nil {
		t.Errorf("Run report = %+v, want 1 sent, 1 skipped, Failed nil", rep)
	}
	rep, err = job.Run(nil, articles)
	if err != nil || !reflect.DeepEqual(rep, digest.Report{}) {
		t.Errorf("Run(nil) = %+v, %v; want zero report, nil", rep, err)
	}
}

func TestAcceptanceRunMaxArticles(t *testing.T) {
	tests := []struct {
		max, want int
	}{
		{0, 5}, {-1, 5}, {1, 1}, {2, 2}, {5, 5}, {6, 6}, {100, 6},
	}
	for _, tt := range tests {
		fake := &fakeSender{}
		job := &digest.Job{Sender: fake, Since: since, MaxArticles: tt.max}
		if _, err := job.Run([]digest.Subscriber{ada}, articles); err != nil {
			t.Fatalf("Run error: %v", err)
		}
		if len(fake.sent) != 1 {
			t.Fatalf("MaxArticles %d: sent %d mails, want 1", tt.max, len(fake.sent))
		}
		if got := strings.Count(fake.sent[0].Body, "\n* "); got != tt.want {
			t.Errorf("MaxArticles %d: digest lists %d articles, want %d", tt.max, got, tt.want)
		}
	}
}

func TestAcceptanceSelectArticles(t *testing.T) {
	titles := func(as []digest.Article) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Title)
		}
		return out
	}
	all := []string{"Go 1.22 release", "Range over func", "Profiling", "Indexes 101", "Vacuum explained", "Generics in practice"}
	tests := []struct {
		sub   digest.Subscriber
		limit int
		want  []string
	}{
		{ada, 0, all[:5]},
		{ada, -3, all[:5]},
		{ada, 10, all},
		{ada, 2, all[:2]},
		{bob, 5, []string{"Borrow checker"}},
		{cy, 1, []string{"Go 1.22 release"}}, // paused does not matter here
		{eve, 5, nil},
		{digest.Subscriber{Topics: nil}, 5, nil},
	}
	for _, tt := range tests {
		got := digest.SelectArticles(tt.sub, articles, since, tt.limit)
		if !reflect.DeepEqual(titles(got), tt.want) {
			t.Errorf("SelectArticles(%v, limit %d) = %q, want %q", tt.sub.Topics, tt.limit, titles(got), tt.want)
		}
	}
	// since is exclusive and moves the window.
	got := digest.SelectArticles(dee, articles, hoursAfter(4), 0)
	if want := []string{"Go 1.22 release", "Range over func"}; !reflect.DeepEqual(titles(got), want) {
		t.Errorf("SelectArticles(since +4h) = %q, want %q", titles(got), want)
	}
}

func TestAcceptanceRenderDigest(t *testing.T) {
	picked := digest.SelectArticles(ada, articles, since, 0)
	subject, body := digest.RenderDigest(ada, picked, since)
	if subject != "Your digest: 5 new articles" || body != adaBody {
		t.Errorf("RenderDigest(ada) =\n%q\n%q\nwant\n%q\n%q", subject, body, "Your digest: 5 new articles", adaBody)
	}

	subject, body = digest.RenderDigest(bob, []digest.Article{articles[6]}, since)
	if subject != "Your digest: 1 new article" || body != bobBody {
		t.Errorf("RenderDigest(bob) =\n%q\n%q\nwant\n%q\n%q", subject, body, "Your digest: 1 new article", bobBody)
	}

	// Exactly the articles given, in the order given.
	two := []digest.Article{articles[2], articles[7]}
	subject, body = digest.RenderDigest(digest.Subscriber{Name: "Zed", Topics: []string{"go", "python"}}, two, time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC))
	wantBody := "Hi Zed,\n\nhere is what's new since Sun Dec 31:\n\n" +
		"* Generics in practice [go]\n  https://n.example/2\n" +
		"* Old Python [python]\n  https://n.example/7\n" +
		"\nYou get this mail because you follow go, python.\nReply with PAUSE to stop it.\n"
	if subject != "Your digest: 2 new articles" || body != wantBody {
		t.Errorf("RenderDigest(two) =\n%q\n%q\nwant\n%q\n%q", subject, body, "Your digest: 2 new articles", wantBody)
	}
}

func TestAcceptanceSMTPSenderStillFits(t *testing.T) {
	// No news, so nothing is sent and no relay is contacted.
	job := &digest.Job{Sender: &digest.SMTPSender{Addr: "127.0.0.1:1", From: "news@example.com"}, Since: hoursAfter(100)}
	rep, err := job.Run([]digest.Subscriber{ada, bob, cy}, articles)
	if err != nil || rep.Sent != 0 || rep.Skipped != 3 {
		t.Errorf("Run = %+v, %v; want 3 skipped, nil", rep, err)
	}
}
