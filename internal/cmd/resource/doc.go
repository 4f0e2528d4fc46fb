// Package resource holds the generic commands of the management resources
// (endpoints, filters, rules, keys): create, list, get, update and
// delete/revoke as CreateCmd, ListCmd, GetCmd, UpdateCmd and DeleteCmd
// values that a noun's package fills with its help, table, flags and
// checks. It also holds what those commands share: request bodies built
// from the flags the user set, resources that print exactly what the
// gateway sent (Raw), argument and flag checks, confirmation prompts, time
// flags and shell completion.
package resource
