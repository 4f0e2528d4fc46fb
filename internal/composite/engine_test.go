package composite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

var t0 = time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)

// ev builds a sound event at t0+offset; spec is "id label mic edge".
func ev(spec string, offset time.Duration) *Event {
	f := strings.Fields(spec)
	for len(f) < 4 {
		f = append(f, "")
	}
	return &Event{ID: f[0], LabelID: f[1], MicID: f[2], EdgeID: f[3], Time: t0.Add(offset).UnixNano()}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func testRule(id string, window, min int, mut ...func(*proto.Rule)) proto.Rule {
	r := proto.Rule{ID: id, Owner: "acme", Name: id, WindowSeconds: window, MinEvents: min, Enabled: true, GroupBy: proto.GroupByLabel}
	for _, m := range mut {
		m(&r)
	}
	return r
}

// summary is the golden form of an emission: rule, group key, event ids in
// order, started_at (as offset from t0).
func summary(em Emission) string {
	ids := make([]string, len(em.Events))
	for i, e := range em.Events {
		ids[i] = e.ID
	}
	return fmt.Sprintf("%s %s [%s] +%s", em.Rule.ID, em.GroupKey, strings.Join(ids, " "), em.StartedAt().Sub(t0))
}

type feed struct {
	owner string // default acme
	ev    *Event
}

func run(e *Engine, events []feed) []string {
	var got []string
	for _, f := range events {
		owner := f.owner
		if owner == "" {
			owner = "acme"
		}
		for _, em := range e.Add(owner, f.ev) {
			got = append(got, summary(em))
		}
	}
	return got
}

func evs(list ...*Event) []feed {
	out := make([]feed, len(list))
	for i, e := range list {
		out[i] = feed{ev: e}
	}
	return out
}

func TestEngineGolden(t *testing.T) {
	byMic := func(r *proto.Rule) { r.GroupBy = proto.GroupByMic }
	byEdge := func(r *proto.Rule) { r.GroupBy = proto.GroupByEdge }
	cases := []struct {
		name  string
		rules []proto.Rule
		feed  []feed
		want  []string
		stats Stats // compared when non-zero
	}{
		{
			name:  "three events within the window fire once",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(10)), ev("e3 speech m1", secs(20))),
			want:  []string{"r1 edge-01:speech [e1 e2 e3] +0s"},
		},
		{
			name:  "boundary at exactly window_seconds is inside",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(15)), ev("e3 speech m1", secs(30))),
			want:  []string{"r1 edge-01:speech [e1 e2 e3] +0s"},
		},
		{
			name:  "one millisecond past the window is outside; the window slides to the next event",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(15)), ev("e3 speech m1", secs(30.001)), ev("e4 speech m1", secs(45))),
			want:  []string{"r1 edge-01:speech [e2 e3 e4] +15s"},
		},
		{
			name:  "events are consumed: six events make two composites",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed: evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(1)), ev("e3 speech m1", secs(2)),
				ev("e4 speech m1", secs(3)), ev("e5 speech m1", secs(4)), ev("e6 speech m1", secs(5))),
			want: []string{"r1 edge-01:speech [e1 e2 e3] +0s", "r1 edge-01:speech [e4 e5 e6] +3s"},
		},
		{
			name:  "out of order within lateness joins in time order",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("a speech m1", secs(10)), ev("b speech m1", secs(14)), ev("c speech m1", secs(12))),
			want:  []string{"r1 edge-01:speech [a c b] +10s"},
		},
		{
			name:  "out of order at exactly the lateness is accepted",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("a speech m1", secs(10)), ev("b speech m1", secs(20)), ev("c speech m1", secs(15))),
			want:  []string{"r1 edge-01:speech [a c b] +10s"},
		},
		{
			name:  "beyond lateness is dropped and counted",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed:  evs(ev("a speech m1", secs(10)), ev("b speech m1", secs(20)), ev("c speech m1", secs(14.9)), ev("d speech m1", secs(21))),
			want:  []string{"r1 edge-01:speech [a b d] +10s"},
			stats: Stats{Emitted: 1, Late: 1, Groups: 1},
		},
		{
			name:  "duplicate ids are ignored, even after their composite",
			rules: []proto.Rule{testRule("r1", 30, 3)},
			feed: evs(ev("e1 speech m1", 0), ev("e1 speech m1", secs(1)), ev("e2 speech m1", secs(2)), ev("e3 speech m1", secs(3)),
				ev("e3 speech m1", secs(3)), ev("e4 speech m1", secs(4)), ev("e5 speech m1", secs(5)), ev("e6 speech m1", secs(6))),
			want:  []string{"r1 edge-01:speech [e1 e2 e3] +0s", "r1 edge-01:speech [e4 e5 e6] +4s"},
			stats: Stats{Emitted: 2, Duplicates: 2, Groups: 1},
		},
		{
			name:  "several rules match one event; composites come in rule id order",
			rules: []proto.Rule{testRule("rb", 30, 2), testRule("ra", 60, 3, byMic)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(5)), ev("e3 speech m1", secs(40))),
			want:  []string{"rb edge-01:speech [e1 e2] +0s", "ra edge-01:m1 [e1 e2 e3] +0s"},
		},
		{
			name: "rules with and without a label list are both checked, in id order",
			rules: []proto.Rule{testRule("rc", 30, 1, func(r *proto.Rule) { r.IncludeLabelIDs = []string{"speech"} }),
				testRule("rb", 30, 1), testRule("ra", 30, 1, func(r *proto.Rule) { r.IncludeLabelIDs = []string{"glass", "speech"} })},
			feed: evs(ev("e1 speech m1", 0), ev("e2 dog m1", secs(1))),
			want: []string{"ra edge-01:speech [e1] +0s", "rb edge-01:speech [e1] +0s", "rc edge-01:speech [e1] +0s", "rb edge-01:dog [e2] +1s"},
		},
		{
			name:  "group_by label_id keeps labels apart",
			rules: []proto.Rule{testRule("r1", 30, 2)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 glass m1", secs(1)), ev("e3 glass m2", secs(2)), ev("e4 speech m2", secs(3))),
			want:  []string{"r1 edge-01:glass [e2 e3] +1s", "r1 edge-01:speech [e1 e4] +0s"},
		},
		{
			name:  "group_by mic_id mixes labels of one microphone",
			rules: []proto.Rule{testRule("r1", 30, 2, byMic)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 glass m2", secs(1)), ev("e3 glass m1", secs(2))),
			want:  []string{"r1 edge-01:m1 [e1 e3] +0s"},
		},
		{
			name:  "group_by edge_id groups the microphones of one edge",
			rules: []proto.Rule{testRule("r1", 30, 2, byEdge)},
			feed:  evs(ev("e1 speech m1 edgeA", 0), ev("e2 speech m3 edgeB", secs(1)), ev("e3 glass m2 edgeA", secs(2))),
			want:  []string{"r1 edge-01:edgeA [e1 e3] +0s"},
		},
		{
			name: "include lists select labels and microphones; a disabled rule matches nothing",
			rules: []proto.Rule{
				testRule("r1", 30, 2, func(r *proto.Rule) { r.IncludeLabelIDs = []string{"speech"}; r.IncludeMicIDs = []string{"m1", "m2"} }),
				testRule("r2", 30, 1, func(r *proto.Rule) { r.Enabled = false }),
			},
			feed: evs(ev("e1 speech m3", 0), ev("e2 glass m1", secs(1)), ev("e3 speech m2", secs(2)), ev("e4 speech m1", secs(3))),
			want: []string{"r1 edge-01:speech [e3 e4] +2s"},
		},
		{
			name:  "cooldown suppresses the group after a composite",
			rules: []proto.Rule{testRule("r1", 30, 2, func(r *proto.Rule) { r.CooldownSeconds = 60 })},
			feed: evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(10)), ev("e3 speech m1", secs(20)), ev("e4 speech m1", secs(30)),
				ev("e5 speech m1", secs(70)), ev("e6 speech m1", secs(75))),
			want:  []string{"r1 edge-01:speech [e1 e2] +0s", "r1 edge-01:speech [e5 e6] +1m10s"},
			stats: Stats{Emitted: 2, Suppressed: 2, Groups: 1},
		},
		{
			name:  "rules apply only to their owner's events; watermarks are per owner",
			rules: []proto.Rule{testRule("r1", 30, 2)},
			feed: []feed{{owner: "other", ev: ev("x1 speech m1", 0)}, {owner: "other", ev: ev("x2 speech m1", secs(1))},
				{ev: ev("e1 speech m1", secs(100))}, {owner: "other", ev: ev("x3 speech m1", secs(2))}, {ev: ev("e2 speech m1", secs(101))}},
			want: []string{"r1 edge-01:speech [e1 e2] +1m40s"},
		},
		{
			name:  "min_events 1 fires on every event",
			rules: []proto.Rule{testRule("r1", 30, 1)},
			feed:  evs(ev("e1 speech m1", 0), ev("e2 speech m1", 0)),
			want:  []string{"r1 edge-01:speech [e1] +0s", "r1 edge-01:speech [e2] +0s"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
			for _, r := range c.rules {
				e.PutRule(r)
			}
			got := run(e, c.feed)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			if c.stats != (Stats{}) && e.Stats() != c.stats {
				t.Fatalf("stats %+v, want %+v", e.Stats(), c.stats)
			}
		})
	}
}

// A replay of the same events yields the same composites, ids included,
// and ids depend on the rule and the consumed events only.
func TestEngineDeterministicIDs(t *testing.T) {
	feedOnce := func(ruleID string) []Emission {
		e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
		e.PutRule(testRule(ruleID, 30, 2))
		var out []Emission
		for i := range 10 {
			out = append(out, e.Add("acme", ev(fmt.Sprintf("e%d speech m1", i), secs(float64(i))))...)
		}
		return out
	}
	a, b, c := feedOnce("r1"), feedOnce("r1"), feedOnce("r2")
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("got %d and %d composites, want 5", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("replay changed id %d: %s vs %s", i, a[i].ID, b[i].ID)
		}
		if a[i].ID == c[i].ID {
			t.Fatalf("another rule gave the same id %s", a[i].ID)
		}
		if seen[a[i].ID] || !strings.HasPrefix(a[i].ID, IDPrefix) {
			t.Fatalf("bad or repeated id %s", a[i].ID)
		}
		seen[a[i].ID] = true
	}
}

// A node that restarts replays the log's recent events. Replaying the two
// events of an open window and then receiving the third gives exactly the
// composite an uninterrupted engine gives.
func TestEngineRestartMidWindow(t *testing.T) {
	rule := testRule("r1", 30, 3)
	events := []*Event{ev("e1 speech m1", 0), ev("e2 speech m1", secs(10)), ev("e3 speech m1", secs(20))}

	whole := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	whole.PutRule(rule)
	var want []Emission
	for _, e := range events {
		want = append(want, whole.Add("acme", e)...)
	}

	first := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	first.PutRule(rule)
	for _, e := range events[:2] {
		if out := first.Add("acme", e); len(out) != 0 {
			t.Fatal("fired early")
		}
	}
	// Restart: a new engine rebuilt from the log (the first two events).
	second := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	second.PutRule(rule)
	for _, e := range events[:2] {
		second.Add("acme", e)
	}
	got := second.Add("acme", events[2])
	if len(got) != 1 || len(want) != 1 || got[0].ID != want[0].ID || summary(got[0]) != summary(want[0]) {
		t.Fatalf("after restart %v, uninterrupted %v", got, want)
	}
}

// Restore keeps a rebuilt engine from reusing events of composites stored
// before the restart, when the rebuild horizon cut off part of their window,
// and restores the group's cooldown.
func TestEngineRestore(t *testing.T) {
	rule := testRule("r1", 30, 3, func(r *proto.Rule) { r.CooldownSeconds = 10 })
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	e.PutRule(rule)
	// Stored before the restart: [e1 e2 e3]; only e2 and e3 are within the
	// rebuild horizon.
	e.Restore(Restored{Owner: "acme", RuleID: "r1", GroupValue: "speech",
		Events: []*Event{ev("e1", 0), ev("e2", secs(1)), ev("e3", secs(2))}})
	got := run(e, evs(ev("e2 speech m1", secs(1)), ev("e3 speech m1", secs(2)),
		ev("e4 speech m1", secs(5)), // in cooldown (until +12s)
		ev("e5 speech m1", secs(13)), ev("e6 speech m1", secs(14)), ev("e7 speech m1", secs(15))))
	want := []string{"r1 edge-01:speech [e5 e6 e7] +13s"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Open windows are dropped once the watermark passes them, so memory
// follows the active groups, not the history.
func TestEngineExpiresGroups(t *testing.T) {
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	e.PutRule(testRule("r1", 30, 3, func(r *proto.Rule) { r.GroupBy = proto.GroupByMic }))
	for i := range 100 {
		e.Add("acme", ev(fmt.Sprintf("e%d speech m%d", i, i), secs(float64(i)/10)))
	}
	if g := e.Stats().Groups; g != 100 {
		t.Fatalf("groups %d, want 100", g)
	}
	e.Add("acme", ev("late speech mX", secs(100)))
	if g := e.Stats().Groups; g != 1 {
		t.Fatalf("after the watermark passed: groups %d, want 1", g)
	}
	if n := len(e.tenants["acme"].seen); n != 1 {
		t.Fatalf("seen ids %d, want 1", n)
	}
}

// Changing a rule's counting drops its open windows; renaming keeps them;
// disabling stops it at once.
func TestEngineRuleChanges(t *testing.T) {
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	r := testRule("r1", 30, 3)
	e.PutRule(r)
	run(e, evs(ev("e1 speech m1", 0), ev("e2 speech m1", secs(1))))
	r.Name = "renamed"
	e.PutRule(r)
	got := run(e, evs(ev("e3 speech m1", secs(2))))
	if len(got) != 1 {
		t.Fatalf("rename lost the open window: %v", got)
	}
	run(e, evs(ev("e4 speech m1", secs(3)), ev("e5 speech m1", secs(4))))
	r.MinEvents = 2
	e.PutRule(r)
	if got := run(e, evs(ev("e6 speech m1", secs(5)))); len(got) != 0 {
		t.Fatalf("changed rule used old window: %v", got)
	}
	r.Enabled = false
	e.PutRule(r)
	if got := run(e, evs(ev("e7 speech m1", secs(6)), ev("e8 speech m1", secs(7)))); len(got) != 0 {
		t.Fatalf("disabled rule fired: %v", got)
	}
	e.DeleteRule("r1")
	if e.Stats().Groups != 0 {
		t.Fatalf("groups left after delete: %d", e.Stats().Groups)
	}
}
