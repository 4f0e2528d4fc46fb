// Command image builds the evtctl container image without a container
// engine or a base image: one layer holding the static linux binary, the
// CA certificates of the build machine, a passwd/group naming the
// non-root user evtctl (65532) and its data directory, written as an image
// archive that `podman load`, `docker load` and `crane push` read.
//
//	go run ./tools/image -o evtctl-image.tar
//	go run ./tools/image -context build/image   # the files deploy/image/Containerfile copies
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The image's user, its data directory and the gateway's port; the Helm
// chart and deploy/image/Containerfile use the same.
const (
	uid      = 65532
	dataDir  = "/var/lib/evtctl"
	port     = "8100"
	certPath = "etc/ssl/certs/ca-certificates.crt"
)

var (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nevtctl:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(uid) + ":evtctl:" + dataDir + ":/sbin/nologin\n"
	group  = "root:x:0:\nevtctl:x:" + strconv.Itoa(uid) + ":\n"
)

type options struct {
	out, context, binary, arch, version, tag, certs string
}

func main() {
	var o options
	flag.StringVar(&o.out, "o", "evtctl-image.tar", "image archive to write")
	flag.StringVar(&o.context, "context", "", "write only the files besides the binary into this directory (for deploy/image/Containerfile) and stop")
	flag.StringVar(&o.binary, "binary", "", "linux binary to put in the image (default: build ./cmd/evtctl with CGO_ENABLED=0)")
	flag.StringVar(&o.arch, "arch", runtime.GOARCH, "image architecture (amd64, arm64)")
	flag.StringVar(&o.version, "version", "dev", "version stamped into the binary built and the image labels")
	flag.StringVar(&o.tag, "tag", "", "image reference in the archive (default ghcr.io/evtctl/evtctl:<version>)")
	flag.StringVar(&o.certs, "ca-certificates", "/etc/"+strings.TrimPrefix(certPath, "etc/"), "CA bundle to put in the image (Debian: the ca-certificates package)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	certs, err := os.ReadFile(o.certs)
	if err != nil {
		return fmt.Errorf("CA certificates: %w (install ca-certificates or pass -ca-certificates)", err)
	}
	if o.context != "" {
		return writeContext(o.context, certs)
	}
	bin := o.binary
	if bin == "" {
		tmp, err := os.MkdirTemp("", "evtctl-image")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "evtctl")
		if err := build(bin, o.arch, o.version); err != nil {
			return err
		}
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	img, err := Image(binary, certs, o.arch, o.version, epoch())
	if err != nil {
		return err
	}
	tag := o.tag
	if tag == "" {
		tag = "ghcr.io/evtctl/evtctl:" + strings.TrimPrefix(o.version, "v")
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(o.out, ref, img); err != nil {
		return err
	}
	size, err := CompressedSize(img)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s, %.1f MB compressed)\nload it with: podman load -i %s   (or docker load -i)\n", o.out, tag, float64(size)/1e6, o.out)
	return nil
}

// build compiles the static linux binary the image holds.
func build(out, arch, version string) error {
	cmd := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-s -w -X github.com/evtctl/evtctl/internal/buildinfo.Version="+version,
		"-o", out, "./cmd/evtctl")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/evtctl (run from the repository's root): %w", err)
	}
	return nil
}

// epoch is the time stamped on the image's files and config: the
// SOURCE_DATE_EPOCH of reproducible builds, or the Unix epoch, so that the
// same binary gives the same image digest.
func epoch() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// entry is one file or directory of the layer.
type entry struct {
	path string
	mode int64
	uid  int
	data []byte
	dir  bool
}

// rootfs lists the layer's contents, parents before children.
func rootfs(binary, certs []byte) []entry {
	return []entry{
		{path: "etc/", mode: 0o755, dir: true},
		{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "etc/group", mode: 0o644, data: []byte(group)},
		{path: "etc/ssl/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/", mode: 0o755, dir: true},
		{path: certPath, mode: 0o644, data: certs},
		{path: "tmp/", mode: 0o1777, dir: true},
		{path: "usr/", mode: 0o755, dir: true},
		{path: "usr/bin/", mode: 0o755, dir: true},
		{path: "usr/bin/evtctl", mode: 0o755, data: binary},
		{path: "var/", mode: 0o755, dir: true},
		{path: "var/lib/", mode: 0o755, dir: true},
		{path: strings.TrimPrefix(dataDir, "/") + "/", mode: 0o750, uid: uid, dir: true},
	}
}

// Image assembles the image from the binary and the CA bundle.
func Image(binary, certs []byte, arch, version string, at time.Time) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range rootfs(binary, certs) {
		h := &tar.Header{Name: e.path, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: at, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerTar := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = arch, "linux", v1.Time{Time: at}
	cf.Config = Config(version)
	return mutate.ConfigFile(img, cf)
}

// Config is the image's run configuration: the non-root user, the
// gateway listening on every interface of the container, its data on the
// volume.
func Config(version string) v1.Config {
	return v1.Config{
		User:         strconv.Itoa(uid) + ":" + strconv.Itoa(uid),
		Entrypoint:   []string{"/usr/bin/evtctl"},
		Cmd:          []string{"serve", "--listen", ":" + port, "--data", dataDir},
		Env:          []string{"PATH=/usr/bin", "SSL_CERT_FILE=/" + certPath},
		WorkingDir:   dataDir,
		ExposedPorts: map[string]struct{}{port + "/tcp": {}},
		Volumes:      map[string]struct{}{dataDir: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "evtctl",
			"org.opencontainers.image.description": "evtctl event-streaming gateway; health: GET /healthz (live), GET /readyz (ready) on port " + port,
			"org.opencontainers.image.source":      "https://github.com/evtctl/evtctl",
			"org.opencontainers.image.version":     version,
		},
	}
}

// CompressedSize is what a registry stores and a node pulls: the
// compressed layers, the config and the manifest.
func CompressedSize(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			return 0, err
		}
		n += s
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return 0, err
	}
	m, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	return n + int64(len(cfg)+len(m)), nil
}

// writeContext writes the files of the image besides the binary, as
// deploy/image/Containerfile copies them (goreleaser's image build).
func writeContext(dir string, certs []byte) error {
	for _, e := range rootfs(nil, certs) {
		if e.path == "usr/bin/evtctl" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(e.path))
		if e.dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(p, os.FileMode(e.mode&0o777)|stickyOf(e.mode)); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(p, e.data, os.FileMode(e.mode)); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, certPath)); errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func stickyOf(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}
