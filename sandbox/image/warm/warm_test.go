package warm

import (
	"net/http/httptest"
	"testing"
)

var _ = httptest.NewRecorder

func TestReverse(t *testing.T) {
	if got := Reverse("ab"); got != "ba" {
		t.Fatalf("Reverse = %q", got)
	}
}
