package root

// Command groups register themselves here; keep this list sorted.
func init() {
	subcommands = append(subcommands)
}
