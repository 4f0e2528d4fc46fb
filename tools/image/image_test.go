package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageBuild builds the binary and the image once for the package's tests.
type imageBuild struct {
	dir, binary, archive string
	certs                []byte
}

func buildImage(t *testing.T) imageBuild {
	t.Helper()
	dir := t.TempDir()
	b := imageBuild{dir: dir, binary: filepath.Join(dir, "evtctl"), archive: filepath.Join(dir, "image.tar")}
	var err error
	if b.certs, err = os.ReadFile("/" + certPath); err != nil {
		t.Fatalf("the build machine's CA bundle (Debian package ca-certificates): %v", err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	err = build(b.binary, "amd64", "v0.0.0-test")
	_ = os.Chdir(wd)
	if err != nil {
		t.Fatal(err)
	}
	err = run(options{out: b.archive, binary: b.binary, arch: "amd64", version: "v0.0.0-test", certs: "/" + certPath})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The archive loads back as an image with the promised configuration and
// contents; extracted, its binary runs as the image's non-root user in the
// image's root directory (chroot, as root; from the extracted tree
// otherwise), gets ready and stores an event.
func TestImage(t *testing.T) {
	b := buildImage(t)
	ref, _ := name.NewTag("ghcr.io/evtctl/evtctl:0.0.0-test")
	img, err := tarball.ImageFromPath(b.archive, &ref)
	if err != nil {
		t.Fatalf("the archive does not load: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	want := Config("v0.0.0-test")
	if !reflect.DeepEqual(cf.Config.Entrypoint, want.Entrypoint) || !reflect.DeepEqual(cf.Config.Cmd, want.Cmd) ||
		cf.Config.User != "65532:65532" || !reflect.DeepEqual(cf.Config.Volumes, want.Volumes) || !reflect.DeepEqual(cf.Config.ExposedPorts, want.ExposedPorts) {
		t.Errorf("config %+v", cf.Config)
	}
	size, err := CompressedSize(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image: %.1f MB compressed", float64(size)/1e6)

	root := filepath.Join(b.dir, "rootfs")
	extract(t, img, root)
	for path, wantMode := range map[string]os.FileMode{
		"usr/bin/evtctl": 0o755, "etc/passwd": 0o644, certPath: 0o644, "var/lib/evtctl": os.ModeDir | 0o750, "tmp": os.ModeDir | os.ModeSticky | 0o777,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if fi.Mode() != wantMode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), wantMode)
		}
	}
	if st, err := os.Stat(filepath.Join(root, "var/lib/evtctl")); err == nil && os.Geteuid() == 0 {
		if s := st.Sys().(*syscall.Stat_t); s.Uid != uid || s.Gid != uid {
			t.Errorf("the data directory belongs to %d:%d, not the image's user", s.Uid, s.Gid)
		}
	}
	if n := countCerts(t, filepath.Join(root, certPath)); n < 50 {
		t.Errorf("%d CA certificates in the image", n)
	}
	if passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); !strings.Contains(string(passwd), "evtctl:x:65532:65532:") {
		t.Errorf("passwd: %s", passwd)
	}
	if bin, _ := os.ReadFile(filepath.Join(root, "usr/bin/evtctl")); !bytes.Equal(bin, mustRead(t, b.binary)) {
		t.Error("the image's binary is not the one built")
	}

	smokeRun(t, root, cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.Env)
}

// extract writes the image's flattened filesystem into root, with its
// modes and, when the test runs as root, its owners.
func extract(t *testing.T, img v1.Image, root string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("the layer names %q, outside the root", h.Name)
		}
		mode := os.FileMode(h.Mode & 0o777)
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: unexpected type %c", h.Name, h.Typeflag)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func countCerts(t *testing.T, path string) int {
	data := mustRead(t, path)
	n := 0
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return n
		}
		if blk.Type == "CERTIFICATE" {
			n++
		}
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// smokeRun starts the image's entrypoint and command the way a container
// runtime would (root directory, user, environment, working directory of
// the image), only listening on loopback instead of every interface, and
// checks /readyz and one ingest. The time from start to ready is logged.
func smokeRun(t *testing.T, root string, entrypoint, cmd, env []string) {
	t.Helper()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append(append([]string{}, cmd...), "--listen", addr)
	c := exec.Command(filepath.Join(root, entrypoint[0]), args...)
	c.Env = append(append([]string{}, env...), "EVTCTL_ADMIN_TOKEN=image-test-token")
	if os.Geteuid() == 0 {
		// A container without a runtime: the image's root, its user.
		c.Path = entrypoint[0]
		c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		c.Dir = dataDir
	} else {
		// Not root: no chroot; the data directory is the extracted one.
		c.Args = append(c.Args, "--data", filepath.Join(root, dataDir))
		c.Dir = filepath.Join(root, dataDir)
	}
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = &stderr, &stderr
	start := time.Now()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	defer func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the gateway did not stop cleanly: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			_ = c.Process.Kill()
			<-done
			t.Errorf("the gateway did not stop on SIGTERM\n%s", stderr.String())
		}
	}()

	base := "http://" + addr
	ready := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the gateway exited: %v\n%s", err, stderr.String())
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ready = true
			break
		}
	}
	if !ready {
		t.Fatalf("not ready after 60 s\n%s", stderr.String())
	}
	t.Logf("start to ready: %v", time.Since(start).Round(time.Millisecond))

	data := mustRead(t, "../../testdata/seeds/sound_event.json")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/events/sound", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer image-test-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var res struct{ Accepted int }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &res) != nil || res.Accepted != 1 {
		t.Fatalf("ingest: %d %s", resp.StatusCode, body)
	}
	if os.Geteuid() == 0 {
		// The event log is written by the image's user on its volume.
		var owned bool
		_ = filepath.WalkDir(filepath.Join(root, dataDir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil && fi.Sys().(*syscall.Stat_t).Uid == uid {
					owned = true
				}
			}
			return nil
		})
		if !owned {
			t.Error("no file of the data directory belongs to the image's user")
		}
	}
	http.DefaultClient.CloseIdleConnections()
}
