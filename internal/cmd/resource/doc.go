// Package resource holds the generic commands of the management resources
// (endpoints, filters, rules, keys): create, list, get, update and
// delete/revoke as CreateCmd, ListCmd, GetCmd, UpdateCmd and DeleteCmd
// values that a noun's package fills with its help, table, flags and
// checks, and Group, the command group that builds a noun's verbs in order
// (its own ones as Func; config, data and events use it too). It also
// holds what those commands share: request bodies built from the flags the
// user set, resources that print exactly what the gateway sent (Raw),
// argument and flag checks, confirmation prompts, time flags, shell
// completion, and DoOne, the request-and-print of a noun's own verbs.
package resource
