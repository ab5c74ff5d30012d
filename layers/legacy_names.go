package layers

import (
	"regexp"

	"gorgonia.org/tensor"
)

// legacyRecurrent matches the names the recurrent cells' parameters had
// before they were renamed: PyTorch's names (weight_ih, weight_hh, bias_ih,
// bias_hh, with PyTorch's _l<k> and _reverse suffixes) on gorgonet's
// transposed [in,out] layout, which PyTorch would load without an error
// where the matrices are square and compute something else.
var legacyRecurrent = regexp.MustCompile(`\.(weight|bias)_(ih|hh)(_l[0-9]+(_reverse)?)?$`)

// UpgradeRecurrentNames renames, in place, the recurrent parameters of
// tensors written before the rename: "….weight_ih_l0" becomes
// "….weight_x_l0", and weight_hh, bias_ih, bias_hh become weight_h, bias_x,
// bias_h; the values, already in the new names' layout, are kept. Names
// with a prefix (a checkpoint's "optim/exp_avg/rnn.weight_ih_l0") are
// renamed too; a name whose new form is already present is left alone. It
// returns the number of tensors renamed.
func UpgradeRecurrentNames(tensors map[string]*tensor.Dense) int {
	renamed := 0
	for name, t := range tensors {
		loc := legacyRecurrent.FindStringSubmatchIndex(name)
		if loc == nil {
			continue
		}
		part := map[string]string{"ih": "x", "hh": "h"}[name[loc[4]:loc[5]]]
		newName := name[:loc[0]] + "." + name[loc[2]:loc[3]] + "_" + part + name[loc[5]:]
		if _, taken := tensors[newName]; taken {
			continue
		}
		delete(tensors, name)
		tensors[newName] = t
		renamed++
	}
	return renamed
}
