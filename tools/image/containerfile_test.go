package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The release's Containerfile (goreleaser's dockers_v2), built here by
// buildah (Debian's package: daemonless, no base image pulled) from a
// context laid out as goreleaser lays it out, gives the configuration and
// the contents `go run ./tools/image` gives. A missing buildah fails the
// test: CI installs it (.ci/run).
func TestContainerfileMatchesTheImage(t *testing.T) {
	buildah, err := exec.LookPath("buildah")
	if err != nil {
		t.Fatal("buildah is not installed (apt-get install buildah): the release's Containerfile cannot be checked")
	}
	b := buildImage(t)
	ctx := filepath.Join(b.dir, "context")
	if err := run(options{context: filepath.Join(ctx, "build", "image"), certs: "/" + certPath}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(ctx, "linux", "amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "linux", "amd64", "evtctl"), mustRead(t, b.binary), 0o755); err != nil {
		t.Fatal(err)
	}
	// A storage of the test's own: nothing is left in the machine's.
	store := filepath.Join(b.dir, "storage")
	common := []string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"), "--storage-driver", "vfs"}
	bah := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(buildah, append(append([]string{}, common...), args...)...)
		cmd.Env = append(os.Environ(), "BUILDAH_ISOLATION=chroot")
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("buildah %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return string(out)
	}
	bah("bud", "--isolation", "chroot", "--pull=never", "--platform", "linux/amd64", "--build-arg", "TARGETPLATFORM=linux/amd64",
		"-f", "../../deploy/image/Containerfile", "-t", "localhost/evtctl-containerfile", ctx)
	defer bah("rmi", "--all", "--force")

	var inspect struct {
		OCIv1 struct {
			Config struct {
				User         string
				Entrypoint   []string
				Cmd          []string
				Env          []string
				WorkingDir   string
				ExposedPorts map[string]struct{}
				Volumes      map[string]struct{}
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(bah("inspect", "--type", "image", "localhost/evtctl-containerfile")), &inspect); err != nil {
		t.Fatal(err)
	}
	got, want := inspect.OCIv1.Config, Config("")
	if got.User != want.User || !reflect.DeepEqual(got.Entrypoint, want.Entrypoint) || !reflect.DeepEqual(got.Cmd, want.Cmd) ||
		got.WorkingDir != want.WorkingDir || !reflect.DeepEqual(got.ExposedPorts, want.ExposedPorts) || !reflect.DeepEqual(got.Volumes, want.Volumes) {
		t.Errorf("the Containerfile's config %+v differs from the image's %+v", got, want)
	}
	for _, e := range want.Env {
		found := false
		for _, g := range got.Env {
			found = found || g == e
		}
		if !found {
			t.Errorf("the Containerfile's image lacks %s in %v", e, got.Env)
		}
	}

	// Its files: the same tree, the data directory the user's; and it runs.
	ctr := strings.TrimSpace(bah("from", "--pull=never", "localhost/evtctl-containerfile"))
	defer bah("rm", ctr)
	root := strings.TrimSpace(bah("mount", ctr))
	defer bah("umount", ctr)
	for _, e := range rootfs(nil, nil) {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(e.path))); err != nil {
			t.Errorf("the Containerfile's image lacks %s: %v", e.path, err)
		}
	}
	smokeRun(t, root, got.Entrypoint, got.Cmd, got.Env)
}
