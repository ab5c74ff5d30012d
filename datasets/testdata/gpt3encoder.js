// Encodes a file with npm's gpt-3-encoder (OpenAI's GPT-2 encoder in
// JavaScript) for TestGPT2MatchesReferenceEncoder.
//
//   node gpt3encoder.js PACKAGE_DIR INPUT OUTPUT
//
// INPUT is read as UTF-8 (invalid bytes become U+FFFD, as TextDecoder does:
// a JavaScript string cannot hold them). OUTPUT gets JSON: {"text": the
// string encoded, "ids": its ids, "roundtrip": decode(ids) === text,
// "ms": encoding time}.
//
// The package's encode concatenates its result array once per chunk
// (quadratic in the text), so the text is encoded in segments cut before a
// line feed that follows a non-space character: GPT-2's pattern always ends
// a chunk there (no alternative but white space matches a line feed), and
// the segment before it, encoded alone, ends with the same chunk (a run of
// letters, digits or symbols, or a contraction, ends at the end of a text as
// it does before white space). A cut after white space would not do: "\n\n"
// ends a text as one chunk but is "\n", "\n" before a letter.
const fs = require('fs')
const path = require('path')
const [pkg, input, output] = process.argv.slice(2)
const { encode, decode } = require(path.resolve(pkg))
const text = fs.readFileSync(input, 'utf8')
const start = Date.now()
const ids = []
let from = 0
const cut = /(?<=\S)\n/gu
let m
while ((m = cut.exec(text)) !== null) {
  const to = m.index
  if (to - from > 4096) {
    for (const id of encode(text.slice(from, to))) ids.push(id)
    from = to
  }
}
for (const id of encode(text.slice(from))) ids.push(id)
const ms = Date.now() - start
fs.writeFileSync(output, JSON.stringify({ text, ids, roundtrip: decode(ids) === text, ms }))
