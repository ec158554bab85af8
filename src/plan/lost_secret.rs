//! A key whose new secret was lost: rotated by a write whose secret reached neither its sink
//! nor a recovery file. The journal finds them; the planner recovers them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A resource whose current secret waits in a recovery file for its sink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingDelivery {
    /// The resource's name.
    pub resource: String,
    /// The recovery file.
    pub path: String,
    /// When the rotation that issued it was sent.
    pub since: Timestamp,
}

/// A resource whose current secret nobody has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostSecret {
    /// The resource's name.
    pub resource: String,
    /// The run whose rotation lost it.
    pub run_id: String,
    /// When that rotation was sent.
    pub at: Timestamp,
}
