package cmdutil

import "github.com/spf13/cobra"

// annotationNoFormats marks a command (and the commands under it) whose
// output has no formats: it runs a server, writes a file, prints a token
// or a shell script.
const annotationNoFormats = "evtctl/no-formats"

// NoFormats marks cmd as printing no JSON, YAML or ids, so that -o, -q and
// --jq on it are usage errors (CheckFormats) instead of being ignored: a
// script asking for JSON must not get text it then fails to parse.
func NoFormats(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationNoFormats] = "true"
	return cmd
}

// CheckFormats refuses -o, -q and --jq on a command marked NoFormats (or
// under one). The root command calls it before every command runs.
func CheckFormats(cmd *cobra.Command, f *Factory) error {
	g := f.Globals
	if g == nil || !(cmd.Flags().Changed("output") || g.Quiet || g.JQ != "") {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[annotationNoFormats] != "" {
			return FlagErrorf("%s prints no JSON, YAML or ids: -o, -q and --jq do not apply to it", cmd.CommandPath())
		}
	}
	return nil
}
