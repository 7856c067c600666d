package digest

import (
	"testing"
	"time"
)

// Run needs a live SMTP relay, so only the parts that do not send are
// tested here.

func TestRunSkipsEveryoneWithoutNews(t *testing.T) {
	since := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	job := &Job{Sender: &SMTPSender{Addr: "127.0.0.1:1"}, Since: since}
	subs := []Subscriber{
		{Email: "ada@example.com", Topics: []string{"go"}, Paused: true},
		{Email: "bob@example.com", Topics: []string{"rust"}},
		{Email: "", Topics: []string{"go"}},
	}
	articles := []Article{
		{Title: "Old news", Topic: "rust", Published: since.Add(-time.Hour)},
		{Title: "Generics", Topic: "go", Published: since.Add(time.Hour)},
	}
	rep, err := job.Run(subs, articles)
	if err != nil {
		t.Fatalf("Run error: %v", err)
	}
	if rep.Sent != 0 || rep.Skipped != 3 || len(rep.Failed) != 0 {
		t.Errorf("Run report = %+v, want 3 skipped", rep)
	}
}
