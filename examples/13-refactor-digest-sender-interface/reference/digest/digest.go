// Package digest sends the weekly newsletter digest: every subscriber gets
// one mail listing the newest articles in the topics they follow.
package digest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DefaultMaxArticles is the number of articles in a digest when
// Job.MaxArticles is not set.
const DefaultMaxArticles = 5

// Sender delivers one plain-text mail. *SMTPSender implements it.
type Sender interface {
	Send(to, subject, body string) error
}

// Subscriber is a newsletter subscriber.
type Subscriber struct {
	Email  string
	Name   string   // may be empty
	Topics []string // topics the subscriber follows, case-insensitive
	Paused bool     // paused subscribers get no mail
}

// Article is a published article.
type Article struct {
	Title     string
	URL       string
	Topic     string
	Published time.Time
}

// Report summarises a Run.
type Report struct {
	Sent    int      // digests delivered
	Skipped int      // paused subscribers and subscribers with nothing new
	Failed  []string // addresses the digest could not be delivered to
}

// Job sends one round of digests.
type Job struct {
	// Sender delivers the mails.
	Sender Sender
	// Since is the time of the previous round; only articles published
	// after it are included.
	Since time.Time
	// MaxArticles limits the number of articles per digest; 0 means
	// DefaultMaxArticles.
	MaxArticles int
}

// Run sends a digest to every subscriber that is not paused and follows at
// least one topic with articles published after j.Since. The newest articles
// come first. Delivery failures do not stop the run: they are recorded in
// the report and returned together as the error.
func (j *Job) Run(subs []Subscriber, articles []Article) (Report, error) {
	var rep Report
	var errs []error
	for _, sub := range subs {
		if sub.Paused || sub.Email == "" {
			rep.Skipped++
			continue
		}
		picked := SelectArticles(sub, articles, j.Since, j.MaxArticles)
		if len(picked) == 0 {
			rep.Skipped++
			continue
		}
		subject, body := RenderDigest(sub, picked, j.Since)
		if err := j.Sender.Send(sub.Email, subject, body); err != nil {
			rep.Failed = append(rep.Failed, sub.Email)
			errs = append(errs, fmt.Errorf("digest: sending to %s: %w", sub.Email, err))
			continue
		}
		rep.Sent++
	}
	return rep, errors.Join(errs...)
}

// SelectArticles returns the articles for sub's digest: those published
// after since in a topic sub follows, newest first, at most limit of them.
// A limit of 0 or less means DefaultMaxArticles. Whether sub is paused is
// not considered.
func SelectArticles(sub Subscriber, articles []Article, since time.Time, limit int) []Article {
	if limit <= 0 {
		limit = DefaultMaxArticles
	}
	follows := make(map[string]bool, len(sub.Topics))
	for _, t := range sub.Topics {
		follows[strings.ToLower(strings.TrimSpace(t))] = true
	}
	var picked []Article
	for _, a := range articles {
		if !a.Published.After(since) || !follows[strings.ToLower(a.Topic)] {
			continue
		}
		picked = append(picked, a)
	}
	sort.SliceStable(picked, func(i, k int) bool {
		return picked[i].Published.After(picked[k].Published)
	})
	if len(picked) > limit {
		picked = picked[:limit]
	}
	return picked
}

// RenderDigest returns the subject and body of the digest mail that lists
// articles, in the order given, for sub.
func RenderDigest(sub Subscriber, articles []Article, since time.Time) (subject, body string) {
	name := sub.Name
	if name == "" {
		name = "there"
	}
	subject = fmt.Sprintf("Your digest: %d new article", len(articles))
	if len(articles) != 1 {
		subject += "s"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hi %s,\n\n", name)
	fmt.Fprintf(&b, "here is what's new since %s:\n\n", since.Format("Mon Jan 2"))
	for _, a := range articles {
		fmt.Fprintf(&b, "* %s [%s]\n  %s\n", a.Title, a.Topic, a.URL)
	}
	b.WriteString("\nYou get this mail because you follow ")
	b.WriteString(strings.Join(sub.Topics, ", "))
	b.WriteString(".\nReply with PAUSE to stop it.\n")
	return subject, b.String()
}
