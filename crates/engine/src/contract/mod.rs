//! The one contract for every wire Tokentray owns. The export endpoint answers with these
//! types, the CLI reads a running daemon's answers with them and prints its own with them, and
//! the desktop app maps its errors through the same table, so one failure gets one answer
//! wherever it is met:
//!
//! - [`token`]: the token JSON (`tokentray token --format json` and the endpoint's body).
//! - [`error`]: the JSON error body `{"code", "message"}` and the one table of error codes →
//!   HTTP status → CLI exit code, with the map from engine errors to those codes.
//! - [`endpoint`]: the discovery file `endpoint.json` and the daemon socket's handshake (its
//!   routes, its `GET /v1/daemon` answer and the request the CLI sends).
//!
//! The spellings are PRODUCT.md §5/§6's; `tests/contract.rs` pins the JSON shapes.

pub mod endpoint;
pub mod error;
pub mod token;
