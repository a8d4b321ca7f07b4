//! Helpers of the change-gate tests on the test kit: a gated context, and the refusal an
//! error carries.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use mcp_ops_core::Error;
use mcp_ops_core::change::{ChangeGate, ChangeRefusal};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::testkit::TestKit;

/// The change refusal `e` carries; panics when it is another error.
pub fn refusal(e: &Error) -> &ChangeRefusal {
    e.change_refusal()
        .unwrap_or_else(|| panic!("not a refusal: {e}"))
}

/// Asserts `e` refuses the change because no change request authorizes it.
pub fn assert_no_change_request(e: &Error) {
    assert!(
        matches!(refusal(e), ChangeRefusal::NoChangeRequest { .. }),
        "{e}"
    );
}

/// The kit's context of `procedure` for `reason`, under `gate`.
pub fn gated_context(
    kit: &TestKit,
    procedure: &'static str,
    reason: &str,
    gate: ChangeGate,
) -> Context {
    kit.context(procedure, reason)
        .unwrap()
        .with_change_gate(gate)
}
