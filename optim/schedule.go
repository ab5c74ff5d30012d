package optim

import "math"

// Schedule gives the learning rate of each update.
type Schedule interface {
	// Rate returns the learning rate for the step-th update; step counts
	// from 1 (the first update is step 1). A schedule built with an invalid
	// configuration returns NaN, which every optimizer rejects with an error.
	Rate(step int) float64
}

// Constant returns the schedule whose rate is lr at every step.
func Constant(lr float64) Schedule { return constant(lr) }

type constant float64

func (c constant) Rate(int) float64 { return float64(c) }

// StepDecay returns the schedule lr·gamma^⌊(step−1)/every⌋: the rate is lr for
// the first `every` steps and is multiplied by gamma after each further
// `every` steps, as torch.optim.lr_scheduler.StepLR(step_size=every) stepped
// after every update. every must be positive.
func StepDecay(lr float64, every int, gamma float64) Schedule {
	return stepDecay{lr: lr, every: every, gamma: gamma}
}

type stepDecay struct {
	lr, gamma float64
	every     int
}

func (s stepDecay) Rate(step int) float64 {
	if s.every <= 0 || step < 1 {
		return math.NaN()
	}
	return s.lr * math.Pow(s.gamma, float64((step-1)/s.every))
}

// WarmupCosine returns nanoGPT's learning-rate schedule (get_lr in
// karpathy/nanoGPT's train.py): a linear warmup to maxLR followed by a cosine
// decay to minLR, then minLR.
//
// The step-th update uses nanoGPT's iteration it = step−1 (nanoGPT calls
// get_lr(iter_num) before its update, with iter_num counting from 0), with
// warmup_iters = warmup and lr_decay_iters = decaySteps:
//
//	step ≤ warmup:                 maxLR·step/(warmup+1)
//	warmup < step ≤ decaySteps+1:  minLR + ½(1+cos(π·r))·(maxLR−minLR), r = (step−1−warmup)/(decaySteps−warmup)
//	step > decaySteps+1:           minLR
//
// So the rate reaches maxLR at step warmup+1 and minLR at step decaySteps+1.
// This is the current nanoGPT warmup, (it+1)/(warmup_iters+1); older
// versions used it/warmup_iters, which starts at a rate of 0. It requires
// 0 ≤ warmup < decaySteps (nanoGPT asserts the same).
func WarmupCosine(maxLR float64, warmup, decaySteps int, minLR float64) Schedule {
	return warmupCosine{maxLR: maxLR, minLR: minLR, warmup: warmup, decay: decaySteps}
}

type warmupCosine struct {
	maxLR, minLR  float64
	warmup, decay int
}

func (w warmupCosine) Rate(step int) float64 {
	if w.warmup < 0 || w.decay <= w.warmup || step < 1 {
		return math.NaN()
	}
	it := step - 1
	switch {
	case it < w.warmup:
		return w.maxLR * float64(it+1) / float64(w.warmup+1)
	case it > w.decay:
		return w.minLR
	}
	r := float64(it-w.warmup) / float64(w.decay-w.warmup)
	return w.minLR + 0.5*(1+math.Cos(math.Pi*r))*(w.maxLR-w.minLR)
}

// Noam returns the schedule of Vaswani et al. 2017 ("Attention Is All You
// Need", §5.3), scaled by factor:
//
//	factor · dModel^−0.5 · min(step^−0.5, step·warmup^−1.5)
//
// It rises linearly for warmup steps, peaks at step = warmup with
// factor·(dModel·warmup)^−0.5, and decays as step^−0.5 afterwards. Use it
// with Adam(β1=0.9, β2=0.98, ε=1e-9) as in the paper. dModel and warmup must
// be positive.
func Noam(dModel, warmup int, factor float64) Schedule {
	return noam{dModel: dModel, warmup: warmup, factor: factor}
}

type noam struct {
	dModel, warmup int
	factor         float64
}

func (n noam) Rate(step int) float64 {
	if n.dModel <= 0 || n.warmup <= 0 || step < 1 {
		return math.NaN()
	}
	s := float64(step)
	return n.factor * math.Pow(float64(n.dModel), -0.5) *
		math.Min(math.Pow(s, -0.5), s*math.Pow(float64(n.warmup), -1.5))
}
