//! Integration tests of the SQLite backend and the artifact store, in one
//! binary so linking stays cheap.

mod artifacts;
mod at_rest;
mod conformance;
mod crash;
