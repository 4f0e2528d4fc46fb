// Package cmdhelp holds what the management commands (endpoints, filters,
// rules, keys, events) share beyond cmdutil: request bodies built from the
// flags the user set, resources that print exactly what the gateway sent,
// confirmation prompts, time flags and shell completion.
package cmdhelp
