// Package helm holds the Helm chart of evtctl (the evtctl directory) and
// its tests: helm's linter, and the manifests rendered for both shapes
// (embedded storage on a persistent volume, replicas on an external NATS
// JetStream cluster) decoded strictly into the Kubernetes API types. Helm
// and the Kubernetes modules are imported by these tests only, so the
// evtctl binary does not carry them.
package helm
