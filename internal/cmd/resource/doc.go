// Package resource holds the generic commands of the management resources
// (endpoints, filters, rules, keys): list, get, update and delete/revoke as
// ListCmd, GetCmd, UpdateCmd and DeleteCmd values that a noun's package
// fills with its help, table and flags. It also holds what those commands
// and create share: request bodies built from the flags the user set,
// resources that print exactly what the gateway sent (Raw), argument and
// flag checks, confirmation prompts, time flags and shell completion.
package resource
