package store

import "testing"

// A resume cursor shows a loss only when events after it were removed.
func TestStateLost(t *testing.T) {
	single := func(seq uint64) uint64 { return lastPos(seq) } // a message of one event
	for _, tc := range []struct {
		name  string
		st    State
		after uint64
		want  bool
	}{
		{"empty log", State{}, 1, false},
		{"never removed, cursor before the first event", State{Msgs: 3, FirstSeq: single(1)}, 1, false},
		{"never removed, inside the first bundle", State{Msgs: 3, FirstSeq: firstPos(1)}, firstPos(1) + 3, false},
		{"cursor's message still kept", State{Msgs: 2, FirstSeq: single(4)}, firstPos(4) + 1, false},
		{"last event of the message before the oldest", State{Msgs: 2, FirstSeq: single(4)}, lastPos(3), false},
		{"the message before the oldest had more events", State{Msgs: 2, FirstSeq: firstPos(4)}, firstPos(3) + 2, true},
		{"whole messages removed", State{Msgs: 2, FirstSeq: single(4)}, lastPos(1), true},
		{"cursor 1 after messages were removed", State{Msgs: 2, FirstSeq: single(4)}, 1, true},
	} {
		if got := tc.st.Lost(tc.after); got != tc.want {
			t.Errorf("%s: Lost(%d) = %v, want %v", tc.name, tc.after, got, tc.want)
		}
	}
}
