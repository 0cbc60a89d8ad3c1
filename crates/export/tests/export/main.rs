//! The export endpoint over real HTTP, against its bound listener: the gatekeeping layers, the
//! routes and their errors, refresh limits, start and stop, the canary scan, and concurrency.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::missing_panics_doc,
    clippy::unwrap_used
)]

mod canary;
mod concurrency;
mod gate;
mod harness;
mod lifecycle;
mod local;
mod refresh;
mod rejected;
mod renewal_limit;
mod routes;
