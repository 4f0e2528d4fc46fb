package helm_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/evtctl/evtctl/internal/config"
)

const chartDir = "evtctl"

// valuesFile reads one of the chart's ci/ values files.
func valuesFile(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "ci", name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// helm lint (strict: warnings fail too) passes with the default values and
// the values of both shapes.
func TestLint(t *testing.T) {
	for _, vals := range []string{"", "embedded-values.yaml", "cluster-values.yaml"} {
		var v map[string]any
		if vals != "" {
			v = valuesFile(t, vals)
		}
		lint := action.NewLint()
		lint.Strict = true
		lint.Namespace = "evtctl"
		res := lint.Run([]string{chartDir}, v)
		if res.TotalChartsLinted != 1 {
			t.Errorf("%s: %d charts linted", vals, res.TotalChartsLinted)
		}
		for _, err := range res.Errors {
			t.Errorf("lint with %q: %v", vals, err)
		}
	}
}

// manifests are the objects of one rendering, decoded strictly.
type manifests struct {
	statefulSets []appsv1.StatefulSet
	deployments  []appsv1.Deployment
	services     []corev1.Service
	configMaps   []corev1.ConfigMap
	secrets      []corev1.Secret
	notes        string
}

// render is `helm template` in process: the chart with vals, every
// rendered document decoded strictly (an unknown or misspelt field fails)
// into its Kubernetes API type.
func render(t *testing.T, vals map[string]any) (manifests, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "evtctl", Namespace: "evtctl", IsInstall: true}, common.DefaultCapabilities)
	if err != nil {
		return manifests{}, err
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return manifests{}, err
	}
	var m manifests
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			m.notes = out[name]
			continue
		}
		if strings.HasSuffix(name, ".tpl") {
			continue
		}
		for _, doc := range strings.Split(out[name], "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			var dst any
			switch meta.APIVersion + " " + meta.Kind {
			case "apps/v1 StatefulSet":
				m.statefulSets = append(m.statefulSets, appsv1.StatefulSet{})
				dst = &m.statefulSets[len(m.statefulSets)-1]
			case "apps/v1 Deployment":
				m.deployments = append(m.deployments, appsv1.Deployment{})
				dst = &m.deployments[len(m.deployments)-1]
			case "v1 Service":
				m.services = append(m.services, corev1.Service{})
				dst = &m.services[len(m.services)-1]
			case "v1 ConfigMap":
				m.configMaps = append(m.configMaps, corev1.ConfigMap{})
				dst = &m.configMaps[len(m.configMaps)-1]
			case "v1 Secret":
				m.secrets = append(m.secrets, corev1.Secret{})
				dst = &m.secrets[len(m.secrets)-1]
			default:
				t.Fatalf("%s: unexpected object %s %s", name, meta.APIVersion, meta.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), dst); err != nil {
				t.Fatalf("%s does not decode strictly into %s: %v\n%s", name, meta.Kind, err, doc)
			}
		}
	}
	return m, nil
}

func mustRender(t *testing.T, vals map[string]any) manifests {
	t.Helper()
	m, err := render(t, vals)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkPod asserts what both shapes' pods share: the health probes on the
// routes the gateway serves, the config file mounted where the arguments
// point, a non-root, read-only container, the listen address on the port.
func checkPod(t *testing.T, m manifests, spec corev1.PodSpec) {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	if got := strings.Join(c.Args, " "); got != "serve --config /etc/evtctl/evtctl.yaml" {
		t.Errorf("args %q", got)
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %+v, want GET %s on the http port", name, p, path)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("startup", c.StartupProbe, "/healthz")
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8100 {
		t.Errorf("ports %+v", c.Ports)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if env["EVTCTL_LISTEN"].Value != ":8100" || env["EVTCTL_DATA"].Value != "/var/lib/evtctl" {
		t.Errorf("listen %q, data %q", env["EVTCTL_LISTEN"].Value, env["EVTCTL_DATA"].Value)
	}
	mounts := map[string]string{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	if mounts["config"] != "/etc/evtctl" || mounts["data"] != "/var/lib/evtctl" {
		t.Errorf("mounts %v", mounts)
	}
	var cfgVol *corev1.Volume
	for i, v := range spec.Volumes {
		if v.Name == "config" {
			cfgVol = &spec.Volumes[i]
		}
	}
	if cfgVol == nil || cfgVol.ConfigMap == nil || len(m.configMaps) != 1 || cfgVol.ConfigMap.Name != m.configMaps[0].Name {
		t.Errorf("the config volume does not mount the chart's ConfigMap: %+v", cfgVol)
	}
	psc, sc := spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod security context %+v does not run as a non-root user", psc)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context %+v", sc)
	}

	// The configuration file the ConfigMap holds is one the gateway
	// accepts, with the environment the chart sets.
	path := filepath.Join(t.TempDir(), "evtctl.yaml")
	if err := os.WriteFile(path, []byte(m.configMaps[0].Data["evtctl.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(k string) string {
		if e, ok := env[k]; ok && e.ValueFrom == nil {
			return e.Value
		}
		return ""
	})
	if err != nil {
		t.Fatalf("the gateway refuses the chart's configuration: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the gateway refuses the chart's configuration: %v", err)
	}
	if cfg.Server.Listen != ":8100" {
		t.Errorf("server.listen %q", cfg.Server.Listen)
	}
	if len(m.services) != 1 || m.services[0].Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("services %+v", m.services)
	}
}

// Shape 1: one StatefulSet pod with the embedded storage on a persistent
// volume claim, nothing pointing at an external NATS.
func TestEmbeddedShape(t *testing.T) {
	for _, vals := range []string{"", "embedded-values.yaml"} {
		t.Run("values="+vals, func(t *testing.T) {
			var v map[string]any
			if vals != "" {
				v = valuesFile(t, vals)
			}
			m := mustRender(t, v)
			if len(m.statefulSets) != 1 || len(m.deployments) != 0 {
				t.Fatalf("%d StatefulSets, %d Deployments; want 1, 0", len(m.statefulSets), len(m.deployments))
			}
			ss := m.statefulSets[0]
			if ss.Spec.Replicas == nil || *ss.Spec.Replicas != 1 {
				t.Errorf("replicas %v", ss.Spec.Replicas)
			}
			if len(ss.Spec.VolumeClaimTemplates) != 1 || ss.Spec.VolumeClaimTemplates[0].Name != "data" {
				t.Fatalf("volume claims %+v", ss.Spec.VolumeClaimTemplates)
			}
			pvc := ss.Spec.VolumeClaimTemplates[0]
			want := "10Gi"
			if vals != "" {
				want = "20Gi"
				if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "fast" {
					t.Errorf("storage class %v", pvc.Spec.StorageClassName)
				}
			}
			if got := pvc.Spec.Resources.Requests.Storage().String(); got != want {
				t.Errorf("volume of %s, want %s", got, want)
			}
			for _, vol := range ss.Spec.Template.Spec.Volumes {
				if vol.Name == "data" {
					t.Errorf("the data volume is a pod volume (%+v), not the claim", vol)
				}
			}
			for _, e := range ss.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "EVTCTL_NATS_URL" {
					t.Errorf("embedded shape sets %s", e.Name)
				}
			}
			checkPod(t, m, ss.Spec.Template.Spec)
			if !strings.Contains(m.notes, "embedded storage") {
				t.Errorf("notes: %s", m.notes)
			}
		})
	}
}

// Shape 2: a Deployment of N replicas joined to the external NATS cluster,
// the admin token from a Secret.
func TestClusterShape(t *testing.T) {
	m := mustRender(t, valuesFile(t, "cluster-values.yaml"))
	if len(m.deployments) != 1 || len(m.statefulSets) != 0 {
		t.Fatalf("%d Deployments, %d StatefulSets; want 1, 0", len(m.deployments), len(m.statefulSets))
	}
	d := m.deployments[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %v, want 3", d.Spec.Replicas)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e
	}
	if got := env["EVTCTL_NATS_URL"].Value; got != "nats://nats.nats.svc:4222" {
		t.Errorf("EVTCTL_NATS_URL %q", got)
	}
	if env["OTEL_TRACES_EXPORTER"].Value != "otlp" {
		t.Errorf("extra env not passed: %v", env)
	}
	ref := env["EVTCTL_ADMIN_TOKEN"].ValueFrom
	if ref == nil || ref.SecretKeyRef == nil || len(m.secrets) != 1 || ref.SecretKeyRef.Name != m.secrets[0].Name || m.secrets[0].StringData[ref.SecretKeyRef.Key] != "change-me-0123456789" {
		t.Errorf("admin token %+v not from the chart's Secret %+v", ref, m.secrets)
	}
	if n := env["EVTCTL_SERVER_NAME"].ValueFrom; n == nil || n.FieldRef == nil || n.FieldRef.FieldPath != "metadata.name" {
		t.Errorf("server name %+v, want the pod's name", n)
	}
	checkPod(t, m, d.Spec.Template.Spec)
}

// More than one replica needs the external cluster: the chart refuses to
// render several pods each with its own embedded storage.
func TestEmbeddedRefusesReplicas(t *testing.T) {
	_, err := render(t, map[string]any{"replicaCount": 2})
	if err == nil || !strings.Contains(err.Error(), "set nats.url") {
		t.Fatalf("err = %v, want the chart's refusal", err)
	}
}
