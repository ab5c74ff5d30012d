package main

import (
	"math"
	"reflect"
	"testing"

	"github.com/gorgonet/gorgonet/optim"
)

// TestBuildOptimizer: every optim.name, with every hyper-parameter it reads
// set away from its default, builds that optimizer with those values in
// the fields of the same names (a value wired into the wrong field, such
// as β1 and β2 swapped, or not at all fails), wrapped in clipping at
// optim.clip when it is positive.
func TestBuildOptimizer(t *testing.T) {
	cases := []struct {
		name string
		sets []string
		want optim.Optimizer // the exported fields the optimizer must hold
	}{
		{"adamw", []string{"optim.beta1=0.8", "optim.beta2=0.95", "optim.eps=0.001", "optim.weight_decay=0.3"},
			&optim.AdamW{Beta1: 0.8, Beta2: 0.95, Eps: 0.001, WeightDecay: 0.3}},
		{"adam", []string{"optim.beta1=0.8", "optim.beta2=0.95", "optim.eps=0.001", "optim.weight_decay=0.3"},
			&optim.Adam{Beta1: 0.8, Beta2: 0.95, Eps: 0.001, WeightDecay: 0.3}},
		{"sgd", []string{"optim.weight_decay=0.3"}, &optim.SGD{WeightDecay: 0.3}},
		{"momentum", []string{"optim.momentum=0.7", "optim.weight_decay=0.3"}, &optim.Momentum{Momentum: 0.7, WeightDecay: 0.3}},
		{"nesterov", []string{"optim.momentum=0.7", "optim.weight_decay=0.3"}, &optim.Nesterov{Momentum: 0.7, WeightDecay: 0.3}},
		{"rmsprop", []string{"optim.alpha=0.8", "optim.eps=0.001", "optim.weight_decay=0.3"},
			&optim.RMSProp{Alpha: 0.8, Eps: 0.001, WeightDecay: 0.3}},
		{"adagrad", []string{"optim.eps=0.001", "optim.weight_decay=0.3"}, &optim.Adagrad{Eps: 0.001, WeightDecay: 0.3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := configuredOptimizer(t, append(c.sets, "optim.name="+c.name, "optim.clip=0")...)
			if reflect.TypeOf(opt) != reflect.TypeOf(c.want) {
				t.Fatalf("optim.name=%s builds a %T, want %T", c.name, opt, c.want)
			}
			got, want := reflect.ValueOf(opt).Elem(), reflect.ValueOf(c.want).Elem()
			for i := 0; i < want.NumField(); i++ {
				f := want.Type().Field(i)
				if f.IsExported() && got.Field(i).Interface() != want.Field(i).Interface() {
					t.Errorf("%s.%s = %v, want %v", c.name, f.Name, got.Field(i).Interface(), want.Field(i).Interface())
				}
			}
			clipped, ok := configuredOptimizer(t, append(c.sets, "optim.name="+c.name, "optim.clip=0.25")...).(*optim.GlobalNormClip)
			if !ok || clipped.MaxNorm != 0.25 {
				t.Errorf("optim.clip=0.25 does not clip %s at a global norm of 0.25: %#v", c.name, clipped)
			}
		})
	}
}

// configuredOptimizer returns the optimizer the trainer builds from the
// default configuration with sets.
func configuredOptimizer(t *testing.T, sets ...string) optim.Optimizer {
	t.Helper()
	cfg, err := loadConfig("", sets)
	if err != nil {
		t.Fatal(err)
	}
	opt, _, err := buildOptimizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// TestBuildSchedule: every optim.schedule gives, at every step of the run
// and beyond, the rates of its constructor called with the configured
// values (each distinct, so that two swapped arguments fail), and the
// warm-up and decay lengths default to train.steps/10 and train.steps.
func TestBuildSchedule(t *testing.T) {
	cases := []struct {
		name string
		sets []string
		want optim.Schedule
	}{
		{"warmup_cosine", []string{"optim.schedule=warmup_cosine", "optim.lr=0.02", "optim.min_lr=0.003", "optim.warmup=7", "optim.decay_steps=45"},
			optim.WarmupCosine(0.02, 7, 45, 0.003)},
		{"warmup_cosine by default", []string{"optim.lr=0.02", "optim.min_lr=0.003"},
			optim.WarmupCosine(0.02, 6, 60, 0.003)},
		{"constant", []string{"optim.schedule=constant", "optim.lr=0.02"}, optim.Constant(0.02)},
		{"step", []string{"optim.schedule=step", "optim.lr=0.02", "optim.step_every=7", "optim.gamma=0.3"}, optim.StepDecay(0.02, 7, 0.3)},
		{"noam", []string{"optim.schedule=noam", "optim.lr=2", "optim.warmup=9", "model.d_model=48"}, optim.Noam(48, 9, 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfig("", append(c.sets, "train.steps=60"))
			if err != nil {
				t.Fatal(err)
			}
			_, sched, err := buildOptimizer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for step := 1; step <= 80; step++ {
				if got, want := sched.Rate(step), c.want.Rate(step); got != want || math.IsNaN(got) {
					t.Fatalf("step %d: rate %v, want %v", step, got, want)
				}
			}
		})
	}
}
