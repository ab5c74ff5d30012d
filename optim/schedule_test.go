package optim_test

import (
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/optim"
)

// nanoGPTGetLR is get_lr(it) of karpathy/nanoGPT's train.py, transcribed.
func nanoGPTGetLR(it, warmupIters, lrDecayIters int, learningRate, minLR float64) float64 {
	if it < warmupIters {
		return learningRate * float64(it+1) / float64(warmupIters+1)
	}
	if it > lrDecayIters {
		return minLR
	}
	decayRatio := float64(it-warmupIters) / float64(lrDecayIters-warmupIters)
	coeff := 0.5 * (1.0 + math.Cos(math.Pi*decayRatio))
	return minLR + coeff*(learningRate-minLR)
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		name  string
		s     optim.Schedule
		steps []int
		want  func(step int) float64
	}{
		{"constant", optim.Constant(0.3), []int{1, 2, 100},
			func(int) float64 { return 0.3 }},
		{"step decay", optim.StepDecay(0.1, 3, 0.5), []int{1, 2, 3, 4, 6, 7, 10, 100},
			func(step int) float64 { return 0.1 * math.Pow(0.5, math.Floor(float64(step-1)/3)) }},
		{"warmup cosine", optim.WarmupCosine(6e-4, 10, 50, 6e-5), seq(1, 60),
			func(step int) float64 { return nanoGPTGetLR(step-1, 10, 50, 6e-4, 6e-5) }},
		{"warmup cosine no warmup", optim.WarmupCosine(1e-3, 0, 7, 0), seq(1, 10),
			func(step int) float64 { return nanoGPTGetLR(step-1, 0, 7, 1e-3, 0) }},
		{"noam", optim.Noam(512, 4000, 2), []int{1, 2, 100, 3999, 4000, 4001, 10000},
			func(step int) float64 {
				s := float64(step)
				return 2 / math.Sqrt(512) * math.Min(1/math.Sqrt(s), s/math.Pow(4000, 1.5))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, step := range c.steps {
				got, want := c.s.Rate(step), c.want(step)
				if math.Abs(got-want) > 1e-15*math.Abs(want) {
					t.Errorf("Rate(%d) = %v, want %v", step, got, want)
				}
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestWarmupCosineLandmarks checks the step ↔ nanoGPT iteration mapping.
func TestWarmupCosineLandmarks(t *testing.T) {
	s := optim.WarmupCosine(1, 4, 12, 0.1)
	for _, c := range []struct {
		step int
		want float64
	}{
		{1, 1.0 / 5}, // it=0: (0+1)/(4+1)
		{4, 4.0 / 5}, // last warmup step
		{5, 1},       // it = warmup: the peak
		{9, 0.55},    // halfway through the decay: min + ½(max−min)
		{13, 0.1},    // it = lr_decay_iters: the minimum
		{1000, 0.1},
	} {
		if got := s.Rate(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Rate(%d) = %v, want %v", c.step, got, c.want)
		}
	}
}

func TestNoamPeaksAtWarmup(t *testing.T) {
	s := optim.Noam(64, 100, 1)
	peak := s.Rate(100)
	if want := 1 / math.Sqrt(64*100); math.Abs(peak-want) > 1e-16 {
		t.Fatalf("Rate(100) = %v, want %v", peak, want)
	}
	for _, step := range []int{1, 50, 99, 101, 200, 10000} {
		if r := s.Rate(step); !(r < peak) {
			t.Errorf("Rate(%d) = %v, not below the peak %v", step, r, peak)
		}
	}
}

func TestInvalidSchedulesGiveNaN(t *testing.T) {
	for name, s := range map[string]optim.Schedule{
		"step decay every 0":        optim.StepDecay(0.1, 0, 0.5),
		"warmup cosine decay=warm":  optim.WarmupCosine(1, 10, 10, 0),
		"warmup cosine neg warmup":  optim.WarmupCosine(1, -1, 10, 0),
		"noam zero warmup":          optim.Noam(512, 0, 1),
		"noam zero model dimension": optim.Noam(0, 10, 1),
	} {
		if r := s.Rate(1); !math.IsNaN(r) {
			t.Errorf("%s: Rate(1) = %v, want NaN", name, r)
		}
	}
}
