package datasets_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/gorgonet/gorgonet/datasets"
	"gorgonia.org/tensor"
)

func ExampleNewCharTokenizer() {
	tok := datasets.NewCharTokenizer("春眠不觉晓，处处闻啼鸟。")
	ids := tok.Encode("处处闻啼鸟")
	text, _ := tok.Decode(ids)
	unknown, _ := tok.Decode(tok.Encode("春夜"))
	fmt.Println(tok.VocabSize(), ids, text, unknown)
	// Output: 15 [7 7 12 6 13] 处处闻啼鸟 春�
}

func ExampleTrainBPE() {
	tok, err := datasets.TrainBPE("low lower lowest low low newer newest", 6)
	if err != nil {
		log.Fatal(err)
	}
	vocab := tok.Tokens()
	for _, id := range tok.Encode("slow lowest") {
		fmt.Printf("%q ", vocab[id])
	}
	fmt.Println()
	// Output: "s" "low" " low" "es" "t"
}

func ExampleNewWordTokenizer() {
	tok, err := datasets.NewWordTokenizer("the cat sat on the mat", datasets.WordOptions{MinFreq: 1})
	if err != nil {
		log.Fatal(err)
	}
	ids := tok.Encode("the dog sat")
	text, _ := tok.Decode(ids)
	fmt.Println(ids, text)
	// Output: [10 4 3 8] the � sat
}

func ExampleNewLMBatcher() {
	ids := make([]int, 21) // token ids 0, 1, …, 20
	for i := range ids {
		ids[i] = i
	}
	// Streams mode: B=2 streams of 10 tokens, each advancing T=4 per batch.
	b, err := datasets.NewLMBatcher(ids, datasets.LMConfig{BatchSize: 2, SeqLen: 4, Mode: datasets.Streams})
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		batch := b.Next()
		fmt.Println(batch.Epoch, batch.Step, batch.Inputs.Ints(), batch.Targets.Ints())
	}
	// Output:
	// 0 0 [0 1 2 3 10 11 12 13] [1 2 3 4 11 12 13 14]
	// 0 1 [4 5 6 7 14 15 16 17] [5 6 7 8 15 16 17 18]
	// 1 0 [0 1 2 3 10 11 12 13] [1 2 3 4 11 12 13 14]
}

func ExampleLMBatcher_Restore() {
	ids := make([]int, 1000)
	for i := range ids {
		ids[i] = i
	}
	cfg := datasets.LMConfig{BatchSize: 2, SeqLen: 3, Seed: 7}
	a, _ := datasets.NewLMBatcher(ids, cfg)
	a.Next()
	checkpoint, _ := json.Marshal(a.State()) // save with the model
	want := a.Next()

	var st datasets.BatcherState
	_ = json.Unmarshal(checkpoint, &st)
	b, _ := datasets.NewLMBatcher(ids, cfg)
	if err := b.Restore(st); err != nil {
		log.Fatal(err)
	}
	got := b.Next()
	fmt.Println(got.Inputs.Ints()[0] == want.Inputs.Ints()[0], got.Inputs.Ints()[3] == want.Inputs.Ints()[3])
	// Output: true true
}

func ExampleNewSeq2SeqBatcher() {
	pairs := []datasets.Pair{{Source: "abc", Target: "xy"}, {Source: "a", Target: "y"}}
	tok := datasets.NewCharTokenizer("abcxy") // a=4 b=5 c=6 x=7 y=8
	b, err := datasets.NewSeq2SeqBatcher(pairs, tok, tok, datasets.Seq2SeqConfig{BatchSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	batch := b.Next()
	fmt.Println("source ", batch.Source.Ints(), batch.SourceMask)
	fmt.Println("decoder", batch.DecoderInput.Ints())
	fmt.Println("target ", batch.Target.Ints(), batch.TargetMask)
	mask, _ := batch.TargetMaskTensor(tensor.Float32)
	fmt.Println(mask.Shape(), mask.Dtype())
	// Output:
	// source  [4 5 6 4 0 0] [1 1 1 1 0 0]
	// decoder [1 7 8 1 8 0]
	// target  [7 8 2 8 2 0] [1 1 1 1 1 0]
	// (2, 3) float32
}

func ExampleTaskConfig_Generate() {
	pairs, err := datasets.TaskConfig{Task: datasets.TaskAddition, MinLen: 1, MaxLen: 3}.Generate(3, 1)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pairs {
		fmt.Printf("%s=%s\n", p.Source, p.Target)
	}
	delayed, _ := datasets.TaskConfig{Task: datasets.TaskDelayedCopy, MinLen: 4, MaxLen: 4, Delay: 2}.Generate(1, 1)
	fmt.Println(delayed[0].Source, delayed[0].Target)
	// Output:
	// 27+735=762
	// 7+7=14
	// 854+59=913
	// chjh__ __chjh
}

func ExampleOneHot() {
	ids := tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]int{2, 0, 1}))
	oh, err := datasets.OneHot(ids, 3, tensor.Float64)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(oh.Shape(), oh.Float64s())
	// Output: (1, 3, 3) [0 0 1 1 0 0 0 1 0]
}

func ExampleVectors_EmbeddingMatrix() {
	vecs, _ := datasets.NewVectors([]string{"king", "queen", "apple"}, 2, []float64{1, 0.9, 0.9, 1, -1, 0.2})
	near, _ := vecs.Nearest("king", 1)
	fmt.Printf("%s %.3f\n", near[0].Word, near[0].Cosine)

	tok, _ := datasets.NewWordTokenizer("queen pear", datasets.WordOptions{})
	weights, cov, _ := vecs.EmbeddingMatrix(tok.Tokens(), datasets.EmbeddingOptions{OOV: datasets.OOVZero})
	fmt.Printf("%q %v\n", tok.Tokens()[datasets.NumSpecial:], weights[2*datasets.NumSpecial:])
	fmt.Println(cov)
	// Output:
	// queen 0.994
	// [" " " pear" "queen"] [0 0 0 0 0.9 1]
	// 1 of 3 tokens (33.3%) have pretrained vectors
}

func ExampleDefaultCorpus() {
	corpus, err := datasets.DefaultCorpus() // Newton's Opticks, from GOROOT
	if err != nil {
		log.Fatal(err)
	}
	text, err := corpus.Text(100 << 10) // a 100 kB sample to train on
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := datasets.TrainBPE(text, 500)
	ids, err := corpus.Encode(tok) // streamed
	if err != nil {
		log.Fatal(err)
	}
	train, val, _ := datasets.SplitIDs(ids, 0.1)
	fmt.Println(len(train), len(val))
}
