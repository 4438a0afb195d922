package config

import (
	"slices"
	"strings"
)

// unknownKeys reports override keys that match no field (always an error)
// and, with a prefix, variables under the prefix in the environment and env
// files that match no field, as the policy says. It returns the unknown keys
// for Result when the policy is warn or ignore.
func (l *loader) unknownKeys() []string {
	known := func(k string) bool {
		if k == l.envKey() {
			return true
		}
		if _, ok := l.schema.byKey[k]; ok {
			return true
		}
		base, isFile := strings.CutSuffix(k, "_FILE")
		_, ok := l.schema.byKey[base]
		return isFile && ok
	}
	for k := range l.opts.Overrides {
		// Overrides are values, never KEY_FILE paths.
		if _, ok := l.schema.byKey[k]; ok || k == l.envKey() {
			continue
		}
		if base, ok := strings.CutSuffix(k, "_FILE"); ok && known(k) {
			l.probs.add(k, "", "overrides take values, not files: set "+base, ErrUnknownKey)
			continue
		}
		l.probs.add(k, "", "override matches no field"+l.suggest(k), ErrUnknownKey)
	}
	if l.opts.Prefix == "" {
		return nil
	}
	seen := map[string]bool{}
	var unknown []string
	for _, m := range []map[string]string{l.env, l.dot} {
		for k := range m {
			if strings.HasPrefix(k, l.opts.Prefix) && !known(k) && !seen[k] {
				seen[k] = true
				unknown = append(unknown, k)
			}
		}
	}
	slices.Sort(unknown)
	if l.opts.UnknownKeys == UnknownKeysError {
		for _, k := range unknown {
			l.probs.add(k, "", "unknown key"+l.suggest(k), ErrUnknownKey)
		}
		return nil
	}
	return unknown
}

// suggest returns " (did you mean KEY?)" for the closest known key within
// edit distance 2, or "".
func (l *loader) suggest(k string) string {
	best, bestD := "", 3
	for _, f := range l.schema.fields {
		if f.isEnv {
			continue
		}
		if d := editDistance(k, f.key, bestD); d < bestD {
			best, bestD = f.key, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance of a and b, or max if it is at
// least max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}
