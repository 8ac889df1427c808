//! The end-to-end tests: the `insights` binary driven as a user drives it,
//! one module per area, in one test binary (one link instead of one per
//! area).

mod util;

mod catalog_tools;
mod cluster;
mod deploy;
mod generate;
mod golden;
mod ingest;
mod mapping;
mod notebook;
mod report;
mod run;
mod s3;
