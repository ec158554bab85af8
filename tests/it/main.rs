//! keyrot's integration tests, in one binary: the real `keyrot` run against the in-process
//! sandbox, the library's public API, and property tests. The shared harness is [`harness`].

mod harness;

mod api_errors;
mod architecture;
mod automation;
mod clock_checks;
mod cloudflare_client;
mod cloudflare_tokens;
mod config_fuzz;
mod demo;
mod examples;
mod hostile;
mod image;
mod import;
mod markdown_limit;
mod plan_apply;
mod planner_properties;
mod postgres;
mod previews;
mod rate_limit;
mod read_failures;
mod readme_tour;
mod recipes;
mod resilience;
mod rixl;
mod safety_gaps;
mod schema;
mod serve;
mod sink_commands;
mod state;
mod time_rules;
mod validate;
