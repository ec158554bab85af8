//! What the apply engine needs from whoever runs it: progress, the plan shown, a `yes`, and
//! each resource's outcomes as they settle. The command line implements it; tests can too.

use super::ApplyError;
use super::report::ActionReport;
use super::waiting::DeliverError;
use crate::plan::{AwaitingDelivery, Plan};
use crate::provider::ProviderError;

/// A progress indicator over a known number of steps.
pub trait Ticker: Sync {
    /// `steps` more steps done.
    fn advance(&self, steps: usize);
    /// Prints a line of output without tearing the indicator.
    fn println(&self, line: &str);
    /// Removes the indicator.
    fn finish(&self);
}

/// The engine's view of the person or program running it.
pub trait ApplyUi {
    /// A progress indicator over `total` steps, labelled `label`.
    fn progress(&self, total: usize, label: &'static str) -> Box<dyn Ticker + '_>;
    /// The plan about to be checked and applied, and why the resources it leaves out could
    /// not be read.
    fn show_plan(&self, plan: &Plan, left_out: &[ProviderError]);
    /// Asks for approval of `plan`; true only for an explicit yes.
    fn approve(&self, plan: &Plan) -> Result<bool, ApplyError>;
    /// The first write is about to be sent.
    fn applying(&self);
    /// One resource's outcomes, in file order, as soon as they and every earlier resource's
    /// have settled.
    fn settled(&self, entries: &[ActionReport], ticker: &dyn Ticker);
    /// A secret that waited in a recovery file was delivered to its sink, or why not.
    fn delivered_waiting(&self, entry: &AwaitingDelivery, result: Result<(), &DeliverError>);
}
