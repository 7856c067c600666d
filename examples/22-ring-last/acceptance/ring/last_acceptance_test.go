package ring_test

import (
	"slices"
	"testing"

	"example.com/sensord/ring"
)

var _ func(*ring.Ring, int) []float64 = (*ring.Ring).Last

func TestAcceptanceLastExamples(t *testing.T) {
	r := ring.New(5)
	if got := r.Last(3); len(got) != 0 {
		t.Errorf("empty ring: Last(3) = %v, want an empty slice", got)
	}
	for _, v := range []float64{10, 20, 30} {
		r.Push(v)
	}
	check := func(n int, want []float64) {
		t.Helper()
		if got := r.Last(n); !slices.Equal(got, want) {
			t.Errorf("Last(%d) = %v, want %v", n, got, want)
		}
	}
	check(1, []float64{30})
	check(2, []float64{20, 30})
	check(3, []float64{10, 20, 30})
	check(4, []float64{10, 20, 30})
	check(100, []float64{10, 20, 30})
	check(0, []float64{})
	check(-1, []float64{})
	check(-100, []float64{})
	for _, v := range []float64{40, 50, 60, 70} { // wraps: holds 30..70
		r.Push(v)
	}
	check(1, []float64{70})
	check(2, []float64{60, 70})
	check(4, []float64{40, 50, 60, 70})
	check(5, []float64{30, 40, 50, 60, 70})
	check(6, []float64{30, 40, 50, 60, 70})
	check(0, []float64{})
}

func TestAcceptanceLastSweep(t *testing.T) {
	for capacity := 1; capacity <= 7; capacity++ {
		for pushes := 0; pushes <= 3*capacity+2; pushes++ {
			r := ring.New(capacity)
			var all []float64
			for i := 0; i < pushes; i++ {
				v := float64(i*i) + 0.5
				r.Push(v)
				all = append(all, v)
			}
			for n := -2; n <= capacity+2; n++ {
				k := min(max(n, 0), len(all), capacity)
				want := all[len(all)-k:]
				got := r.Last(n)
				if !slices.Equal(got, want) || len(got) != k {
					t.Fatalf("cap %d, %d pushes: Last(%d) = %v, want %v", capacity, pushes, n, got, want)
				}
				if len(got) > 0 {
					if latest, _ := r.Latest(); got[len(got)-1] != latest {
						t.Fatalf("cap %d, %d pushes: Last(%d) ends in %v, Latest is %v", capacity, pushes, n, got[len(got)-1], latest)
					}
				}
			}
			if r.Len() != min(pushes, capacity) || r.Cap() != capacity {
				t.Fatalf("cap %d, %d pushes: Last changed Len/Cap to %d/%d", capacity, pushes, r.Len(), r.Cap())
			}
		}
	}
}

func TestAcceptanceLastIsACopy(t *testing.T) {
	for pushes := 0; pushes <= 8; pushes++ {
		r := ring.New(4)
		for i := 1; i <= pushes; i++ {
			r.Push(float64(i))
		}
		before := r.Last(4)
		want := slices.Clone(before)

		// Modifying a result must not change the ring.
		scratch := r.Last(4)
		for i := range scratch {
			scratch[i] = -1
		}
		if got := r.Last(4); !slices.Equal(got, want) {
			t.Fatalf("%d pushes: writing to a result changed the ring: Last(4) = %v, want %v", pushes, got, want)
		}
		if pushes > 0 {
			if latest, _ := r.Latest(); latest != float64(pushes) {
				t.Fatalf("%d pushes: Latest = %v after writing to a result", pushes, latest)
			}
		}

		// Later pushes must not change an earlier result.
		for i := 0; i < 6; i++ {
			r.Push(100 + float64(i))
		}
		if !slices.Equal(before, want) {
			t.Fatalf("%d pushes: a later Push changed an earlier result to %v, want %v", pushes, before, want)
		}
		if got := r.Last(4); !slices.Equal(got, []float64{102, 103, 104, 105}) {
			t.Fatalf("%d pushes: after 6 more pushes Last(4) = %v, want [102 103 104 105]", pushes, got)
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	r := ring.New(2)
	if _, ok := r.Latest(); ok {
		t.Errorf("Latest on an empty ring reported ok")
	}
	r.Push(1)
	r.Push(2)
	r.Push(3)
	if v, ok := r.Latest(); !ok || v != 3 || r.Len() != 2 || r.Cap() != 2 {
		t.Errorf("Latest/Len/Cap = %v %v %d %d, want 3 true 2 2", v, ok, r.Len(), r.Cap())
	}
}
