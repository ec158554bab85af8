//! keyrot: a declarative reconciler for API key rotation.

pub mod apply;
pub mod atomic_file;
pub mod cli;
pub mod config;
pub mod http;
pub mod plan;
pub mod provider;
pub mod render;
pub mod sandbox;
pub mod serve;
pub mod state;
pub mod text;
pub mod vendor;
