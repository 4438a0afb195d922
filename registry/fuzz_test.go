package registry

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzManifestUnmarshal(f *testing.F) {
	h := strings.Repeat("ab", 32)
	f.Add([]byte(manifestHeader))
	f.Add([]byte(manifestHeader + h + " 12 a.json\n" + h + " 0 dir/b\n"))
	f.Add([]byte(manifestHeader + h + " 1 ../x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Manifest
		if err := m.UnmarshalText(data); err != nil {
			return
		}
		text, err := m.MarshalText()
		if err != nil {
			t.Fatalf("decoded manifest does not encode: %v", err)
		}
		if !bytes.Equal(text, data) {
			t.Fatalf("not canonical: decoded %q, encoded %q", data, text)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"format":"devskyy-registry-snapshot/1","models":[]}`))
	f.Add([]byte(`{"format":"devskyy-registry-snapshot/1","models":[{"name":"m","generation":2,"versions":[{"model":"m","version":"1.0.0","artifact":"a.json","digest":"sha256:` + strings.Repeat("0", 64) + `","size":3,"registered_at":"2026-01-01T00:00:00Z","last_check":{"at":"2026-01-01T00:00:00Z","passed":true,"duration":5}}],"aliases":{"active":"1.0.0"},"history":[{"alias":"active","to":"1.0.0","at":"2026-01-01T00:00:00Z","generation":2}]}]}`))
	f.Add([]byte(`{"format":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		models, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		text, err := encodeSnapshot(models)
		if err != nil {
			t.Fatalf("decoded snapshot does not encode: %v", err)
		}
		again, err := decodeSnapshot(text)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		if len(again) != len(models) {
			t.Fatalf("round trip lost models")
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][2]string{{"1.0.0", "1.0.0-rc.1"}, {"v2.0.0+b", "2.0.0"}, {"build-9", "build-10"}, {"1.0.0-a.1", "1.0.0-a.b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareVersions(a, b), CompareVersions(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: %q %q: %d %d", a, b, ab, ba)
		}
		if (ab == 0) != (a == b) {
			t.Fatalf("zero for distinct strings %q %q", a, b)
		}
		if c, err := ParseConstraint(a); err == nil {
			_ = c.Match(b)
		}
	})
}

// journalOf returns a journal holding one frame per payload.
func journalOf(payloads ...[]byte) []byte {
	b := []byte(journalMagic)
	for _, p := range payloads {
		b = appendFrame(b, p)
	}
	return b
}

// recordJSON encodes the record that turns old (generation prev) into m.
func recordJSON(old, m Model, prev uint64) []byte {
	b, err := json.Marshal(diffRecord(&old, &m, prev))
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzReplayJournal(f *testing.F) {
	m1, m2, m3 := rec("m", 1), rec("m", 2), rec("m", 3)
	valid := journalOf(recordJSON(Model{}, m1, 0), recordJSON(m1, m2, 1), recordJSON(m2, m3, 2))
	f.Add(valid)
	f.Add(valid[:len(valid)-7])
	f.Add(append(bytes.Clone(valid), make([]byte, 64)...))
	f.Add([]byte(journalMagic))
	f.Add([]byte(journalMagic[:3]))
	f.Add(journalOf([]byte(`{"prev":1,"name":"m","generation":2,"history_keep":1}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		models := map[string]Model{}
		st, err := replayJournal(data, models)
		if err != nil {
			return
		}
		if st.cut > st.end || st.end > len(data) {
			t.Fatalf("cut %d, end %d of %d bytes", st.cut, st.end, len(data))
		}
		for _, m := range models {
			if err := m.Validate(); err != nil {
				t.Fatalf("replay produced an invalid record: %v", err)
			}
		}
		// The valid prefix replays to the same state, with no torn tail.
		again := map[string]Model{}
		st2, err := replayJournal(data[:st.cut], again)
		if err != nil || st2.cut != st.cut || st2.end != st.cut || st2.records != st.records {
			t.Fatalf("valid prefix: %+v, %v; first replay %+v", st2, err, st)
		}
		if diff := cmp.Diff(models, again); diff != "" {
			t.Fatalf("valid prefix replays differently (-first +again):\n%s", diff)
		}
	})
}
