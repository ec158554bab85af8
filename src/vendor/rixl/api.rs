//! RIXL's two route families, as a file's `rixl:` section chooses them.

use crate::config::Connection;

/// RIXL's two route families.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RixlApi {
    /// `/platform/api-keys` (the default).
    Platform,
    /// `/organizations/{org_id}/api-keys/v1`.
    V1 {
        /// The organization the keys belong to.
        org_id: String,
    },
}

impl RixlApi {
    /// The routes `connection` names: v1 when it is scoped to an organization.
    pub fn of(connection: Option<&Connection>) -> Self {
        match connection.and_then(|connection| connection.scope.clone()) {
            Some(org_id) => Self::V1 { org_id },
            None => Self::Platform,
        }
    }

    /// The organization the routes are scoped to, for a connection: v1's.
    pub fn scope(&self) -> Option<String> {
        match self {
            Self::Platform => None,
            Self::V1 { org_id } => Some(org_id.clone()),
        }
    }
}
