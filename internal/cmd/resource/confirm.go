package resource

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// ErrCancelled is returned when the user answers no to a confirmation.
var ErrCancelled = &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: errors.New("cancelled; nothing was changed")}

// Confirm asks question on a terminal and returns ErrCancelled unless the
// answer is yes. It asks only when both stdin and stderr are terminals and
// yes (--yes) is false: a script or a pipe is never blocked by a prompt,
// which is what `xargs evtctl endpoints delete` needs.
func Confirm(ios *iostreams.IOStreams, yes bool, question string) error {
	if yes || !ios.IsStdinTTY() || !ios.IsStderrTTY() {
		return nil
	}
	fmt.Fprintf(ios.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(ios.ErrOut)
		return ErrCancelled
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return ErrCancelled
}
