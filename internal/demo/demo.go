// Package demo feeds a gateway with realistic sample events of every family
// (`evtctl serve --demo`), so that a newcomer sees data at once: sound
// events from three microphones on an edge box, arriving in bursts that
// composite rules can group; analysis results for a few cameras; and face
// identifications, some against watchlists.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Owner is the tenant of demo events: the bootstrap admin key's tenant, so
// the printed admin key sees them.
const Owner = auth.DefaultOwner

// RuleID is the id of the composite rule `serve --demo` creates when the
// demo tenant has none, so that composites flow from the first minute.
const RuleID = "demo_bursts"

// Rule is the demo's composite rule: three sound events of one label
// within 30 s (the generator's bursts) make a composite, at most one a
// label every 10 s.
func Rule(now time.Time) proto.Rule {
	return proto.Rule{
		ID: RuleID, Owner: Owner, Name: "demo: bursts of one sound",
		Description:   "Created by evtctl serve --demo; delete it (evtctl rules delete " + RuleID + ") or keep it.",
		WindowSeconds: 30, MinEvents: 3, Enabled: true, GroupBy: proto.GroupByLabel,
		CooldownSeconds: 10,
		CreatedAt:       now, UpdatedAt: now, CountingSince: now,
	}
}

// Generator produces demo events.
type Generator struct {
	log  *store.Log
	edge string
	rate float64
	l    *slog.Logger
	rnd  *rand.Rand
	seq  int
	// burst is the sound label currently repeating, and how many are left.
	burstLabel int
	burstLeft  int
}

// New returns a generator writing about rate events/s to log.
func New(log *store.Log, edgeName string, rate float64, l *slog.Logger) *Generator {
	return &Generator{log: log, edge: edgeName, rate: rate, l: l, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
}

// Run generates until ctx ends.
func (g *Generator) Run(ctx context.Context) {
	t := time.NewTicker(time.Duration(float64(time.Second) / g.rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fam, data := g.Next(now.UTC())
			if err := g.store(ctx, fam, data); err != nil && ctx.Err() == nil {
				g.l.Warn("demo event not stored", "family", fam, "err", err)
			}
		}
	}
}

func (g *Generator) store(ctx context.Context, fam proto.Family, data []byte) error {
	rt, errs := proto.Extract(fam, data)
	if len(errs) > 0 {
		return fmt.Errorf("demo produced an invalid %s event: %s %s", fam, errs[0].Field, errs[0].Reason)
	}
	addr := store.Address{Family: string(fam), Owner: Owner, DeviceID: rt.DeviceID, AgentID: rt.AgentID, EventType: rt.EventType}
	_, err := g.log.Append(ctx, []store.Entry{{Address: addr, ID: rt.ID, Watchlists: rt.Watchlists, Data: data}})
	return err
}

// Next returns the next event: half sound (in bursts), a third analysis,
// the rest identifications.
func (g *Generator) Next(now time.Time) (proto.Family, []byte) {
	g.seq++
	switch r := g.rnd.Float64(); {
	case r < 0.5:
		return proto.FamilySound, g.sound(now)
	case r < 0.83:
		return proto.FamilyAnalysis, g.analysis(now)
	default:
		return proto.FamilyIdentification, g.identification(now)
	}
}

type mic struct{ id, name, host, mac string }
type label struct{ id, ko, en string }

var (
	// Not mic_001: the README's tour files the seed sound event under it
	// while the demo runs, and queries that microphone expecting only its
	// own events.
	mics = []mic{
		{"mic_101", "Entrance Mic", "172.16.10.21", "00:11:22:33:44:55"},
		{"mic_102", "Lobby Mic", "172.16.10.22", "00:11:22:33:44:56"},
		{"mic_103", "Parking Mic", "172.16.10.23", "00:11:22:33:44:57"},
	}
	labels = []label{
		{"normal_speech_female", "여성 음성", "normal speech female"},
		{"normal_speech_male", "남성 음성", "normal speech male"},
		{"glass_break", "유리 깨짐", "glass break"},
		{"dog_bark", "개 짖는 소리", "dog bark"},
		{"scream", "비명", "scream"},
	}
	devices  = []string{"3f1c2a9e-5b7d-4c10-9a2e-1d6f0b7c8e21", "8a4e6c02-1f3b-4d57-a9c8-2e7b5d0f6a13", "c5d9e1b7-6a2f-4e83-b0d4-9f1a3c7e5b62"}
	scenes   = []string{"entrance-queue", "checkout-lane", "parking-gate"}
	cameras  = []struct{ id, agent, stream string }{{"72aa3a70-0fc1-46f1-8a8e-eb50cd4f13a3", "a593c1be-d13e-4244-8179-1df0a6b725f7", "rtsp://192.168.122.150/stream"}, {"1b7e4d2c-93a5-4f08-b6e1-5c2d8a9f0e34", "a593c1be-d13e-4244-8179-1df0a6b725f7", "rtsp://192.168.122.151/stream"}}
	profiles = []struct{ id, gender, group, color string }{
		{"d96fb010-8da5-49a6-b571-b48cb241a923", "MALE", "82e7d0c3-6e69-425b-ab79-faa19c2d9fe7", "orange.400"},
		{"4c1e9b7a-2d3f-4a68-9e05-7b6c1d2e3f40", "FEMALE", "5a0d3e2f-7c1b-4e9a-8d6f-2b4c6e8a0d1f", "red.500"},
		{"e2b7c4d1-0f9a-4b36-8c5e-1a3d5f7b9c02", "MALE", "", ""},
	}
)

func (g *Generator) sound(now time.Time) []byte {
	if g.burstLeft == 0 {
		// Bursts of 3–5 events of one label: enough for a rule with
		// min_events 3 in a 30 s window.
		g.burstLabel, g.burstLeft = g.rnd.IntN(len(labels)), 3+g.rnd.IntN(3)
	}
	g.burstLeft--
	lb := labels[g.burstLabel]
	m := mics[g.rnd.IntN(2)] // bursts come from the two indoor microphones
	if g.rnd.IntN(8) == 0 {
		m = mics[2]
	}
	id := fmt.Sprintf("evt_%d_%04d", now.Unix(), g.seq%10000)
	ts := now.Format(time.RFC3339)
	conf := 0.55 + g.rnd.Float64()*0.44
	level := 60 + g.rnd.Float64()*25
	return fmt.Appendf(nil, `{"id":%q,"confidence":%.2f,"confidence_threshold":0.5,"sound_level":%.1f,"sound_level_threshold":65,"description":%q,"audio_file":{"file_path":"/audio/events/%s.wav"},"is_read":false,"read_at":null,"created_at":%q,"updated_at":%q,"label_id":%q,"mic_id":%q,"label":{"id":%q,"name":{"ko":%q,"en":%q},"active":true},"microphone":{"id":%q,"name":%q,"host":%q,"subnet_mask":"255.255.255.0","mac_address":%q,"microphone_type":"PDM_715IP","channel":{"scheme":"rtsp","port":554,"path":"/stream","username":null,"password":null},"console":{"scheme":"http","port":80,"path":"/","username":"admin","password":"password"},"streaming":true,"recording":true,"edge_id":"edge_001","location":{"latitude":37.546344,"longitude":126.944322},"status":"active","thresholds":{},"created_at":"2026-03-01T00:00:00Z","updated_at":%q,"deleted_at":null,"reported_at":%q,"connected":true}}`,
		id, conf, level, lb.en+" detected near "+m.name, id, ts, ts, lb.id, m.id, lb.id, lb.ko, lb.en, m.id, m.name, m.host, m.mac, ts, ts)
}

func (g *Generator) analysis(now time.Time) []byte {
	d := g.rnd.IntN(len(devices))
	n := 1 + g.rnd.IntN(4)
	dets := make([]byte, 0, 256)
	for i := 0; i < n; i++ {
		if i > 0 {
			dets = append(dets, ',')
		}
		if g.rnd.IntN(4) == 0 {
			dets = fmt.Appendf(dets, `{"type":"object","confidence":%.2f,"boundingBox":{"x":%d,"y":%d,"width":%d,"height":%d}}`,
				0.5+g.rnd.Float64()*0.5, g.rnd.IntN(1800), g.rnd.IntN(1000), 40+g.rnd.IntN(200), 40+g.rnd.IntN(200))
			continue
		}
		dets = fmt.Appendf(dets, `{"type":"person","confidence":%.2f,"boundingBox":{"x":%d,"y":%d,"width":%d,"height":%d},"attributes":{"dwellSeconds":%d}}`,
			0.6+g.rnd.Float64()*0.4, g.rnd.IntN(1800), g.rnd.IntN(900), 50+g.rnd.IntN(80), 120+g.rnd.IntN(200), g.rnd.IntN(600))
	}
	return fmt.Appendf(nil, `{"deviceId":%q,"analysisId":"%s-%d","sceneId":%q,"timestamp":%q,"detections":[%s]}`,
		devices[d], scenes[d], g.seq, scenes[d], now.Format(time.RFC3339Nano), dets)
}

func (g *Generator) identification(now time.Time) []byte {
	c := cameras[g.rnd.IntN(len(cameras))]
	p := profiles[g.rnd.IntN(len(profiles))]
	groups := "[]"
	if p.group != "" {
		groups = fmt.Sprintf(`[{"id":%q,"color":%q}]`, p.group, p.color)
	}
	eventID := fmt.Sprintf("%08x-685e-4055-9716-%012x", g.rnd.Uint32(), now.UnixNano()&0xffffffffffff)
	img := fmt.Sprintf("%08x-1bc6-409f-9b27-f099268453cb", g.rnd.Uint32())
	return fmt.Appendf(nil, `{"type":"identification","activity_id":"%08x-d3f6-449c-927f-cea210f0e326","camera":{"id":%q,"type":"IP","title":%q,"stream":%q,"real_name":null,"agent_id":%q},"candidates":[{"profile":{"id":%q,"age":%d,"gender":%q,"avatar_id":"e5a1f9b6-9e10-4ac2-8723-bbae0b9d9200","main_sample_id":"e5a1f9b6-9e10-4ac2-8723-bbae0b9d9200","sample_link":"http://platform.example/get-image/e5a1f9b6-9e10-4ac2-8723-bbae0b9d9200"},"profile_groups":%s,"confidence":%.16f}],"event":{"id":%q,"detection_date":%q,"image":%q,"original_image":%q,"image_link":"http://platform.example/event-service/get-image/%s","original_image_link":"http://platform.example/event-service/get-image/%s"}}`,
		g.rnd.Uint32(), c.id, c.stream, c.stream, c.agent, p.id, 25+g.rnd.IntN(40), p.gender, groups, 0.80+g.rnd.Float64()*0.19, eventID, now.Format("2006-01-02 15:04:05.000000-07:00"), img, img, img, img)
}
