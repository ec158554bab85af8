//! Request budgets several providers spend together: one API's limit that two sections of the
//! file share (Cloudflare's Access keys and API tokens spend one user's 1200 requests per 5
//! minutes), kept by one limiter whichever section sends.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::BudgetWatch;
use super::rate_limit::SlidingWindowLimiter;
use crate::config::RateLimit;

/// The run's shared budgets, by name; cloning shares them.
#[derive(Clone, Default)]
pub struct SharedBudgets(Arc<Mutex<HashMap<&'static str, Arc<SlidingWindowLimiter>>>>);

impl SharedBudgets {
    /// The limiter of budget `name`: made for `rate` by the first provider that asks (every
    /// provider spending it asks with the same rate), then shared.
    pub fn limiter(
        &self,
        name: &'static str,
        rate: RateLimit,
        watch: &BudgetWatch,
    ) -> Arc<SlidingWindowLimiter> {
        let mut budgets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let limiter = budgets
            .entry(name)
            .or_insert_with(|| Arc::new(SlidingWindowLimiter::new(rate, watch.clone())));
        Arc::clone(limiter)
    }
}

impl fmt::Debug for SharedBudgets {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let budgets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_set().entries(budgets.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;

    #[test]
    fn a_budget_asked_for_twice_is_one_limiter_and_another_is_its_own() {
        let budgets = SharedBudgets::default();
        let rate = RateLimit {
            requests: 1200,
            per: SignedDuration::from_mins(5),
        };
        let watch = BudgetWatch::default();
        let access = budgets.limiter("cloudflare", rate, &watch);
        let tokens = budgets.clone().limiter("cloudflare", rate, &watch);
        let other = budgets.limiter("other", rate, &watch);
        assert!(Arc::ptr_eq(&access, &tokens));
        assert!(!Arc::ptr_eq(&access, &other));
    }
}
