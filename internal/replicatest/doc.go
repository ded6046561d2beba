// Package replicatest holds the tests that run scimd as real processes
// against PostgreSQL: two replicas sharing one database, and one replica
// riding out a database outage on a private PostgreSQL cluster. It has no
// code of its own; the tests build the scimd binary once and drive it over
// HTTP and its command line, as an operator would. One test drives the
// store directly instead, to crash the cluster at the instant of a write's
// COMMIT.
package replicatest
