package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// Stats is what one training step reports to a Progress.
type Stats struct {
	Step   int     // steps completed so far, 1-based
	Loss   float64 // training loss of the step
	LR     float64 // learning rate used by the step
	Tokens int     // tokens processed by the step (for tokens/s)
}

// Progress reports training progress. On a terminal it keeps one live line,
// redrawn in place with a carriage return at most every redrawInterval:
//
//	[=========>          ]  48% 480/1000 loss 1.9321 lr 3.00e-04 21.4k tok/s ETA 1m12s
//
// fitted to the terminal's width (a narrower bar, then fewer fields, then
// cut), so that it never wraps;
// Elsewhere (a log file, a pipe, CI) it writes a plain line every `every`
// steps, on the first step and on the last:
//
//	step 480/1000 loss 1.9321 lr 3.00e-04 21.4k tok/s elapsed 1m06s ETA 1m12s
//
// The first Update is the baseline: rates and the ETA are measured from it
// (so a resumed run reports its own speed and a slow first step, which
// often includes warm-up, does not skew them) and are left out until a
// second step arrives. A Progress is not safe for concurrent use; the
// methods of a nil *Progress do nothing.
type Progress struct {
	w        io.Writer
	terminal bool
	width    func() int // columns of the terminal; 0 when unknown
	total    int
	every    int
	now      func() time.Time

	started   bool
	start     time.Time // time of the first Update
	baseStep  int       // step of the first Update
	tokens    int64     // tokens of the steps after the first Update
	last      Stats
	lastDraw  time.Time
	lineWidth int // runes of the live line on screen; 0 when none
}

// redrawInterval limits live-line redraws on a terminal.
const redrawInterval = 100 * time.Millisecond

// NewProgress returns a Progress writing to w for a run of total steps
// (0 if unknown: no bar and no ETA). isTerminal selects the live line;
// pass IsTerminal(os.Stdout) for the standard output. every (at least 1) is
// the step interval of plain lines.
func NewProgress(w io.Writer, isTerminal bool, total, every int) *Progress {
	p := &Progress{w: w, terminal: isTerminal, total: max(total, 0), every: max(every, 1), now: time.Now,
		width: func() int { return 0 }}
	if f, ok := w.(*os.File); ok {
		p.width = func() int {
			cols, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return cols
		}
	}
	return p
}

// NewTerminalProgress is NewProgress with the live line when w is a
// terminal and plain lines otherwise.
func NewTerminalProgress(w io.Writer, total, every int) *Progress {
	f, ok := w.(*os.File)
	return NewProgress(w, ok && IsTerminal(f), total, every)
}

// IsTerminal reports whether f is a terminal (not merely a character
// device: /dev/null is not one, so output redirected there gets log lines).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Update records a finished step and redraws or logs as configured.
func (p *Progress) Update(s Stats) {
	if p == nil {
		return
	}
	now := p.now()
	first := !p.started
	if first {
		p.started, p.start, p.baseStep = true, now, s.Step
	} else {
		p.tokens += int64(s.Tokens)
	}
	p.last = s
	final := p.total > 0 && s.Step >= p.total
	if p.terminal {
		if final || p.lineWidth == 0 || now.Sub(p.lastDraw) >= redrawInterval {
			p.draw(now)
		}
		return
	}
	if final || first || s.Step%p.every == 0 {
		fmt.Fprintln(p.w, p.plainLine(now))
	}
}

// Printf writes a message line, such as a validation result, without
// garbling the live line: on a terminal the live line is cleared, the
// message printed and the live line redrawn below it.
func (p *Progress) Printf(format string, args ...interface{}) {
	if p == nil {
		return
	}
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	if p.terminal && p.lineWidth > 0 {
		fmt.Fprintf(p.w, "\r%s\r%s\n", strings.Repeat(" ", p.lineWidth), msg)
		p.lineWidth = 0
		p.draw(p.now())
		return
	}
	fmt.Fprintln(p.w, msg)
}

// Done ends the live line with its final state and a newline. It writes
// nothing in plain mode or before the first Update.
func (p *Progress) Done() {
	if p != nil && p.terminal && p.started {
		p.draw(p.now())
		fmt.Fprintln(p.w)
		p.lineWidth = 0
	}
}

// Elapsed returns the time since the first Update.
func (p *Progress) Elapsed() time.Duration {
	if p == nil || !p.started {
		return 0
	}
	return p.now().Sub(p.start)
}

// TokensPerSec returns the mean rate since the first Update, 0 while it
// cannot be measured.
func (p *Progress) TokensPerSec() float64 {
	if p == nil {
		return 0
	}
	r, _ := p.rate(p.now())
	return r
}

// rate returns the tokens per second since the first Update; ok is false
// before time has passed.
func (p *Progress) rate(now time.Time) (float64, bool) {
	sec := now.Sub(p.start).Seconds()
	if !p.started || sec <= 0 {
		return 0, false
	}
	return float64(p.tokens) / sec, true
}

// eta estimates the time left from the mean step time so far; ok is false
// when it cannot be estimated.
func (p *Progress) eta(now time.Time) (time.Duration, bool) {
	done := p.last.Step - p.baseStep
	if p.total == 0 || done <= 0 {
		return 0, false
	}
	perStep := now.Sub(p.start) / time.Duration(done)
	return perStep * time.Duration(max(p.total-p.last.Step, 0)), true
}

func (p *Progress) draw(now time.Time) {
	line := p.liveLine(now)
	width := len([]rune(line))
	pad := ""
	if width < p.lineWidth {
		pad = strings.Repeat(" ", p.lineWidth-width)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.lineWidth, p.lastDraw = width, now
}

// stepText formats the step, loss, learning rate and throughput shared by
// both kinds of line.
func (p *Progress) stepText(now time.Time) string {
	step := fmt.Sprint(p.last.Step)
	if p.total > 0 {
		step = fmt.Sprintf("%d/%d", p.last.Step, p.total)
	}
	text := fmt.Sprintf("%s loss %.4f lr %.2e", step, p.last.Loss, p.last.LR)
	if r, ok := p.rate(now); ok {
		text += " " + humanCount(r) + " tok/s"
	}
	return text
}

// liveLine returns the live line, fitted to the terminal's width less one
// column (a line that fills the last column wraps on some terminals): the
// bar narrows from 20 to 5 cells, then the bar, the ETA and the learning
// rate's field go, and what is still too long is cut.
func (p *Progress) liveLine(now time.Time) string {
	limit := p.width() - 1
	text := p.stepText(now)
	eta := ""
	if d, ok := p.eta(now); ok {
		eta = " ETA " + shortDuration(d)
	}
	fits := func(s string) bool { return limit <= 0 || len([]rune(s)) <= limit }
	if p.total > 0 {
		frac := math.Min(float64(p.last.Step)/float64(p.total), 1)
		for width := 20; width >= 5; width-- {
			if line := bar(frac, width) + text + eta; fits(line) {
				return line
			}
		}
	}
	if line := text + eta; fits(line) {
		return line
	}
	if fits(text) {
		return text
	}
	if i := strings.Index(text, " lr "); i >= 0 {
		if j := strings.Index(text[i+4:], " "); j >= 0 {
			text = text[:i] + text[i+4+j:]
		} else {
			text = text[:i]
		}
	}
	if r := []rune(text); !fits(text) {
		text = string(r[:limit])
	}
	return text
}

// bar draws a progress bar of width cells at fraction frac, with the
// percentage: "[=====>    ]  50% ".
func bar(frac float64, width int) string {
	fill := int(frac * float64(width))
	b := strings.Repeat("=", fill)
	if fill < width {
		b += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("[%s] %3.0f%% ", b, 100*frac)
}

func (p *Progress) plainLine(now time.Time) string {
	line := fmt.Sprintf("step %s elapsed %s", p.stepText(now), shortDuration(now.Sub(p.start)))
	if eta, ok := p.eta(now); ok {
		line += " ETA " + shortDuration(eta)
	}
	return line
}

// humanCount formats a rate with a k or M suffix: 950, 12.3k, 4.56M.
func humanCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1fk", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.2fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// shortDuration formats d to the second: 45s, 4m05s, 2h04m05s.
func shortDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}
