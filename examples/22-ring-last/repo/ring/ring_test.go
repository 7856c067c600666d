package ring

import "testing"

func TestPushLen(t *testing.T) {
	r := New(3)
	if r.Len() != 0 || r.Cap() != 3 {
		t.Fatalf("new ring: Len %d Cap %d", r.Len(), r.Cap())
	}
	for i := 1; i <= 5; i++ {
		r.Push(float64(i))
	}
	if r.Len() != 3 || r.Cap() != 3 {
		t.Errorf("after 5 pushes: Len %d Cap %d, want 3 3", r.Len(), r.Cap())
	}
}

func TestLatest(t *testing.T) {
	r := New(2)
	if _, ok := r.Latest(); ok {
		t.Errorf("Latest on empty ring reported ok")
	}
	for i := 1; i <= 5; i++ {
		r.Push(float64(i))
		if v, ok := r.Latest(); !ok || v != float64(i) {
			t.Errorf("Latest after pushing %d = %v, %v", i, v, ok)
		}
	}
}

func TestNewPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("New(0) did not panic")
		}
	}()
	New(0)
}
