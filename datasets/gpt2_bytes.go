package datasets

// GPT-2's vocabulary files write each token's bytes as printable runes: the
// bytes of the printable ASCII and Latin-1 ranges '!'…'~', '¡'…'¬', '®'…'ÿ'
// stand for themselves, and the other 68 bytes (controls, space, DEL, NBSP,
// soft hyphen) map, in byte order, to U+0100 and up, so a space is 'Ġ'
// (U+0120) and a newline 'Ċ' (U+010A). This is bytes_to_unicode of
// github.com/openai/gpt-2's encoder.py.
var gpt2ByteRune, gpt2RuneByte = gpt2ByteTables()

func gpt2ByteTables() (byteRune [256]rune, runeByte map[rune]byte) {
	runeByte = make(map[rune]byte, 256)
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	next := rune(256)
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !printable(b) {
			r, next = next, next+1
		}
		byteRune[b], runeByte[r] = r, byte(b)
	}
	return byteRune, runeByte
}

// gpt2TokenText returns the printable form of raw token bytes.
func gpt2TokenText(raw string) string {
	rs := make([]rune, len(raw))
	for i := 0; i < len(raw); i++ {
		rs[i] = gpt2ByteRune[raw[i]]
	}
	return string(rs)
}

// gpt2TokenBytes returns the bytes a printable token stands for; ok is
// false when a rune of it is outside the byte alphabet.
func gpt2TokenBytes(text string) (raw string, ok bool) {
	b := make([]byte, 0, len(text))
	for _, r := range text {
		c, in := gpt2RuneByte[r]
		if !in {
			return "", false
		}
		b = append(b, c)
	}
	return string(b), true
}
