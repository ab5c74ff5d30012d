package train

import (
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable clock for Progress.now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestProgress(b *strings.Builder, terminal bool, total, every int) (*Progress, *fakeClock) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(b, terminal, total, every)
	p.now = clock.now
	return p, clock
}

func TestProgressPlain(t *testing.T) {
	var b strings.Builder
	p, clock := newTestProgress(&b, false, 10, 4)
	for step := 1; step <= 10; step++ {
		clock.t = clock.t.Add(time.Second)
		p.Update(Stats{Step: step, Loss: 2.5, LR: 1e-3, Tokens: 100})
	}
	p.Printf("val loss %.3f\n", 2.25)
	p.Done()
	want := strings.Join([]string{
		"step 1/10 loss 2.5000 lr 1.00e-03 elapsed 0s",
		"step 4/10 loss 2.5000 lr 1.00e-03 100 tok/s elapsed 3s ETA 6s",
		"step 8/10 loss 2.5000 lr 1.00e-03 100 tok/s elapsed 7s ETA 2s",
		"step 10/10 loss 2.5000 lr 1.00e-03 100 tok/s elapsed 9s ETA 0s",
		"val loss 2.250",
		"",
	}, "\n")
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := p.TokensPerSec(); got != 100 {
		t.Errorf("TokensPerSec = %v, want 100", got)
	}
	if got := p.Elapsed(); got != 9*time.Second {
		t.Errorf("Elapsed = %v, want 9s", got)
	}
}

// TestProgressResumed checks that a run resumed at step 500 measures its
// rate and ETA from its own first step.
func TestProgressResumed(t *testing.T) {
	var b strings.Builder
	p, clock := newTestProgress(&b, false, 1000, 100)
	for step := 501; step <= 600; step++ {
		clock.t = clock.t.Add(500 * time.Millisecond)
		p.Update(Stats{Step: step, Loss: 1, LR: 1e-4, Tokens: 2048})
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := "step 600/1000 loss 1.0000 lr 1.00e-04 4.10k tok/s elapsed 50s ETA 3m20s"
	if len(lines) != 2 || lines[1] != want {
		t.Errorf("got %q, want a first line and %q", lines, want)
	}
}

func TestProgressTerminal(t *testing.T) {
	var b strings.Builder
	p, clock := newTestProgress(&b, true, 4, 1)
	p.Update(Stats{Step: 1, Loss: 10, LR: 0.5, Tokens: 10})
	clock.t = clock.t.Add(50 * time.Millisecond) // too soon: no redraw
	p.Update(Stats{Step: 2, Loss: 9, LR: 0.5, Tokens: 10})
	clock.t = clock.t.Add(50 * time.Millisecond)
	p.Update(Stats{Step: 3, Loss: 8, LR: 0.5, Tokens: 10})
	p.Printf("val %d", 7)
	clock.t = clock.t.Add(10 * time.Millisecond) // the last step is always drawn
	p.Update(Stats{Step: 4, Loss: 7.5, LR: 0.5, Tokens: 10})
	p.Done()
	l1 := "[=====>              ]  25% 1/4 loss 10.0000 lr 5.00e-01"
	l3 := "[===============>    ]  75% 3/4 loss 8.0000 lr 5.00e-01 200 tok/s ETA 0s" // 50ms rounds to 0s
	l4 := "[====================] 100% 4/4 loss 7.5000 lr 5.00e-01 273 tok/s ETA 0s"
	want := "\r" + l1 +
		"\r" + l3 +
		"\r" + strings.Repeat(" ", len(l3)) + "\rval 7\n" + "\r" + l3 +
		"\r" + l4 + strings.Repeat(" ", len(l3)-len(l4)) +
		"\r" + l4 + "\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var b strings.Builder
	p, clock := newTestProgress(&b, true, 0, 1)
	p.Update(Stats{Step: 1, Loss: 1})
	clock.t = clock.t.Add(time.Second)
	p.Update(Stats{Step: 2, Loss: 1, Tokens: 20000})
	p.Done()
	if want := "\r1 loss 1.0000 lr 0.00e+00\r2 loss 1.0000 lr 0.00e+00 20.0k tok/s\r2 loss 1.0000 lr 0.00e+00 20.0k tok/s\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{humanCount(0), "0"},
		{humanCount(999.4), "999"},
		{humanCount(1234), "1.23k"},
		{humanCount(45678), "45.7k"},
		{humanCount(4.56e6), "4.56M"},
		{shortDuration(0), "0s"},
		{shortDuration(59400 * time.Millisecond), "59s"},
		{shortDuration(245 * time.Second), "4m05s"},
		{shortDuration(2*time.Hour + 4*time.Minute + 5*time.Second), "2h04m05s"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is reported as a terminal")
	}
	// /dev/null is a character device but not a terminal: output
	// redirected there gets plain log lines, not a redrawn bar.
	if null, err := os.Open(os.DevNull); err == nil {
		defer null.Close()
		if IsTerminal(null) {
			t.Errorf("%s is reported as a terminal", os.DevNull)
		}
	}
}

// TestProgressFitsWidth draws the live line on terminals of 120 down to 10
// columns: no line may reach the last column, and a wide terminal shows
// the whole line with the full bar.
func TestProgressFitsWidth(t *testing.T) {
	for _, cols := range []int{120, 80, 60, 50, 40, 30, 20, 10} {
		var b strings.Builder
		p, clock := newTestProgress(&b, true, 1000, 1)
		p.width = func() int { return cols }
		for step := 1; step <= 3; step++ {
			clock.t = clock.t.Add(time.Second)
			p.Update(Stats{Step: step * 100, Loss: 1.9321, LR: 3e-4, Tokens: 21400})
		}
		p.Done()
		for _, line := range strings.Split(strings.ReplaceAll(b.String(), "\r", "\n"), "\n") {
			if n := len([]rune(strings.TrimRight(line, " "))); n >= cols {
				t.Errorf("%d columns: a line of %d runes: %q", cols, n, line)
			}
		}
		if cols == 120 && !strings.Contains(b.String(), "[======>             ]  30% 300/1000 loss 1.9321 lr 3.00e-04") {
			t.Errorf("120 columns: %q", b.String())
		}
	}
}
