package datasets

// The special tokens every tokenizer of this package reserves, with fixed ids.
const (
	PadID = 0 // padding, ignored by masks and losses
	BOSID = 1 // beginning of sequence (first decoder input)
	EOSID = 2 // end of sequence (last target)
	UnkID = 3 // a symbol outside the vocabulary

	// NumSpecial is the number of special tokens; ordinary tokens have ids
	// NumSpecial and up.
	NumSpecial = 4
)

// The names of the special tokens, as they appear in Tokens() and in saved
// tokenizer files.
const (
	PadToken = "<pad>"
	BOSToken = "<bos>"
	EOSToken = "<eos>"
	UnkToken = "<unk>"
)

// UnknownText is what Decode writes for UnkID: U+FFFD, the Unicode
// replacement character. Decode writes nothing for PadID, BOSID and EOSID.
const UnknownText = "\uFFFD"

// specialTokens lists the special tokens in id order.
var specialTokens = [NumSpecial]string{PadToken, BOSToken, EOSToken, UnkToken}

// IsSpecial reports whether id is one of the four special ids.
func IsSpecial(id int) bool { return id >= 0 && id < NumSpecial }
