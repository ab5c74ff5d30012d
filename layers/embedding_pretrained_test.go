package layers_test

import (
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestEmbeddingFromWord2Vec loads the Hamlet word2vec vectors into an
// Embedding, frozen and trainable, and checks that the looked-up rows are the
// file's vectors and that only the trainable table moves when trained.
func TestEmbeddingFromWord2Vec(t *testing.T) {
	path := shareddata.Path(t, "word2vec-hamlet-200d.txt")
	vecs, err := datasets.ReadVectors(path, datasets.Word2VecText)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := datasets.NewWordTokenizer("the king queen hamlet ghost zzzunknownzzz", datasets.WordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	values, cov, err := vecs.EmbeddingMatrix(tok.Tokens(), datasets.EmbeddingOptions{OOV: datasets.OOVZero})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("coverage: %v", cov)
	if cov.Found == 0 || len(cov.Missing) == 0 {
		t.Fatalf("coverage %v: want some words found and the made-up one missing", cov)
	}
	for _, frozen := range []bool{true, false} {
		m := graph.NewModel(graph.Float64, 1)
		emb, err := layers.NewEmbedding(m, "emb", tok.VocabSize(), 200)
		if err != nil {
			t.Fatal(err)
		}
		if err := emb.SetWeights(values); err != nil {
			t.Fatal(err)
		}
		if frozen {
			emb.Freeze()
		}
		head, err := layers.NewLinear(m, "head", 200, 2)
		if err != nil {
			t.Fatal(err)
		}
		king := tok.Encode(" king")[0] // the word tokenizer keeps the space before a word
		ids, _ := m.IndexInput("ids", 1)
		rows, err := emb.Forward(ids)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := head.Forward(rows)
		if err != nil {
			t.Fatal(err)
		}
		targets, _ := m.IndexInput("targets", 1)
		loss, err := ops.CrossEntropy(logits, targets, -1)
		if err != nil {
			t.Fatal(err)
		}
		train, err := m.Compile(loss)
		if err != nil {
			t.Fatal(err)
		}
		lookup, err := m.CompileForward(gorgonia.Must(gorgonia.Reshape(rows, tensor.Shape{200})))
		if err != nil {
			t.Fatal(err)
		}
		feeds := graph.Feeds{"ids": tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{king}))}
		out, err := lookup.Forward(feeds)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := vecs.Vector("king")
		if !ok {
			t.Fatal("\"king\" is not in the vectors file")
		}
		for i, v := range out[0].Float64s() {
			if v != want[i] {
				t.Fatalf("row of \"king\"[%d] = %v, want the file's %v", i, v, want[i])
			}
		}
		before := append([]float64(nil), emb.Weight.Value().Float64s()...)
		feeds["targets"] = tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{1}))
		if _, err := train.Step(feeds, optim.NewSGD(optim.Constant(0.5))); err != nil {
			t.Fatal(err)
		}
		moved := false
		for i, v := range emb.Weight.Value().Float64s() {
			moved = moved || v != before[i]
		}
		if moved == frozen {
			t.Errorf("frozen=%v: embedding table moved=%v after a training step", frozen, moved)
		}
	}
}
