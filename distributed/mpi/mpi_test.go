//go:build mpi

package mpi

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// These tests run in every rank of `mpirun -np N mpi.test` (see
// mpirun_test.go, which builds and starts them), or alone as a world of one.

var comm *Comm

func TestMain(m *testing.M) {
	var err error
	if comm, err = Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func TestWorld(t *testing.T) {
	if comm.Size() < 1 || comm.Rank() < 0 || comm.Rank() >= comm.Size() {
		t.Fatalf("rank %d of %d", comm.Rank(), comm.Size())
	}
	again, err := Init()
	if err != nil || again != comm {
		t.Errorf("a second Init returned %p, %v; want the same communicator %p", again, err, comm)
	}
	t.Logf("rank %d of %d", comm.Rank(), comm.Size())
}

// TestAllReduce sums buffers whose values depend on the rank; the sums are
// exact in binary floating point, so they are compared exactly.
func TestAllReduce(t *testing.T) {
	n, r, size := 1000, comm.Rank(), comm.Size()
	b32, b64 := make([]float32, n), make([]float64, n)
	for i := range b32 {
		b32[i] = float32(r+1) + float32(i)*0.5
		b64[i] = float64(r+1)*0.25 - float64(i)
	}
	if err := comm.AllReduceFloat32(b32); err != nil {
		t.Fatal(err)
	}
	if err := comm.AllReduceFloat64(b64); err != nil {
		t.Fatal(err)
	}
	ranks := float64(size * (size + 1) / 2) // Σ (r+1)
	for i := range b32 {
		if want := ranks + float64(size)*float64(i)*0.5; float64(b32[i]) != want {
			t.Fatalf("float32 sum [%d] = %v, want %v", i, b32[i], want)
		}
		if want := ranks*0.25 - float64(size*i); b64[i] != want {
			t.Fatalf("float64 sum [%d] = %v, want %v", i, b64[i], want)
		}
	}
	if err := comm.AllReduceFloat32(nil); err != nil {
		t.Errorf("empty all-reduce: %v", err)
	}
}

func TestBroadcast(t *testing.T) {
	root := comm.Size() - 1
	b32, b64 := []float32{float32(comm.Rank()), 1.5}, []float64{float64(comm.Rank()), -2}
	if err := comm.BroadcastFloat32(b32, root); err != nil {
		t.Fatal(err)
	}
	if err := comm.BroadcastFloat64(b64, root); err != nil {
		t.Fatal(err)
	}
	if b32[0] != float32(root) || b32[1] != 1.5 || b64[0] != float64(root) || b64[1] != -2 {
		t.Errorf("after broadcast from rank %d: %v %v", root, b32, b64)
	}
	if err := comm.BroadcastFloat32(b32, comm.Size()); err == nil {
		t.Errorf("broadcast from rank %d of %d: no error", comm.Size(), comm.Size())
	}
	if err := comm.Barrier(); err != nil {
		t.Fatal(err)
	}
}

// TestAllReduceTiming logs the mean time of an all-reduce of
// GORGONET_ALLREDUCE_FLOATS float32 values (default 2^20, 4 MB) over 20
// calls after 3 warm-up calls. Every rank makes the same number of calls.
func TestAllReduceTiming(t *testing.T) {
	n := 1 << 20
	if s := os.Getenv("GORGONET_ALLREDUCE_FLOATS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("GORGONET_ALLREDUCE_FLOATS=%q", s)
		}
	}
	buf := make([]float32, n)
	const warm, calls = 3, 20
	var start time.Time
	for i := 0; i < warm+calls; i++ {
		if i == warm {
			if err := comm.Barrier(); err != nil {
				t.Fatal(err)
			}
			start = time.Now()
		}
		if err := comm.AllReduceFloat32(buf); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(start) / calls
	t.Logf("rank %d of %d: all-reduce of %d float32 (%.2f MB): %v per call", comm.Rank(), comm.Size(), n, float64(4*n)/1e6, per)
}
