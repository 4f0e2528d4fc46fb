package serve

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/pkg/proto"
)

// AdminKeyFile is the file of the data directory holding the bootstrap
// admin key's token, readable by the gateway's user only.
const AdminKeyFile = "admin-key"

// announceBootstrap hands the bootstrap admin key to the operator: written
// to AdminKeyFile in dataDir (mode 0600, its path logged, never the token),
// and printed as a block on stderr when it is a terminal. When stderr is
// not a terminal (a service's journal), only the file's path is printed,
// unless the file could not be written: then the token is printed anyway,
// being its only copy.
func announceBootstrap(ios *iostreams.IOStreams, logger *slog.Logger, dataDir string, key *proto.APIKey) {
	path, err := writeAdminKey(dataDir, key.Token)
	if err != nil {
		logger.Warn("bootstrap admin key not written to a file", "err", err)
	} else {
		logger.Info("bootstrap admin key written", "path", path, "key_id", key.ID, "owner", key.Owner)
	}
	w := ios.ErrOut
	if !ios.IsStderrTTY() && err == nil {
		fmt.Fprintf(w, "No API key existed, so an admin key was created (owner %q). Its token is in %s (readable by this user only):\n  export EVTCTL_TOKEN=$(cat %s)\n",
			key.Owner, path, shellQuote(path))
		return
	}
	rule := strings.Repeat("=", 72)
	fmt.Fprintf(w, "\n%s\n  No API key existed, so an admin key was created (owner %q).\n  Run this in the shell you use the CLI from:\n\n    export EVTCTL_TOKEN=%s\n\n", rule, key.Owner, key.Token)
	if err == nil {
		fmt.Fprintf(w, "  It is also in %s (readable by this user only).\n", path)
	} else {
		fmt.Fprintf(w, "  It is shown only this once: it could not be written to a file (%v).\n", err)
	}
	fmt.Fprintf(w, "%s\n\n", rule)
}

// writeAdminKey writes token to AdminKeyFile in dir with mode 0600 and
// returns the file's absolute path.
func writeAdminKey(dir, token string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, AdminKeyFile))
	if err != nil {
		return "", err
	}
	// Remove first: an existing file (of an earlier bootstrap) may have
	// looser permissions, which O_CREATE would keep.
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
