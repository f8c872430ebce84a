//! Which RPC failures are worth another attempt, and what a revert says.
//!
//! Transient: the node could not be reached, or it asked us to slow down (HTTP 429/503, the rate
//! limit codes of public providers). Permanent: every JSON-RPC error answer (a revert, a nonce or
//! funds problem, a wrong chain): retrying those only repeats the same answer. Transactions are
//! re-sent only when the request never reached the node (connection refused), so a retry cannot
//! send a transaction twice.

use crate::error::Error;
use alloy::transports::{RpcError, TransportError, TransportErrorKind};
use std::future::IntoFuture;
use std::time::Duration;

/// How often and how patiently transient RPC failures are retried; the backoff doubles after each attempt.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub attempts: u32,
    /// The wait before the second attempt.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, 250 ms doubling: about 4 s before a dead node is reported.
    fn default() -> Self {
        RetryPolicy { attempts: 5, first_backoff: Duration::from_millis(250) }
    }
}

/// The request did not reach the node (nothing listening, DNS, TLS): safe to repeat anything.
pub fn unreached(e: &TransportError) -> bool {
    match e {
        RpcError::Transport(TransportErrorKind::Custom(inner)) => {
            if let Some(re) = inner.downcast_ref::<alloy::transports::http::reqwest::Error>() {
                return re.is_connect();
            }
            let msg = inner.to_string().to_lowercase();
            msg.contains("connection refused") || msg.contains("error trying to connect")
        }
        _ => false,
    }
}

/// Worth repeating a read: unreached, rate limited, temporarily unavailable, timed out.
pub fn transient(e: &TransportError) -> bool {
    if unreached(e) {
        return true;
    }
    match e {
        RpcError::Transport(kind) => {
            kind.is_retry_err() || {
                let msg = kind.to_string().to_lowercase();
                msg.contains("timed out") || msg.contains("connection reset") || msg.contains("connection closed")
            }
        }
        RpcError::ErrorResp(payload) => payload.is_retry_err(),
        RpcError::NullResp => true,
        _ => false,
    }
}

fn transport_of(e: &alloy::contract::Error) -> Option<&TransportError> {
    match e {
        alloy::contract::Error::TransportError(t) => Some(t),
        _ => None,
    }
}

/// Errors the retry loop knows how to classify.
pub trait Classify {
    /// Worth repeating a read: unreached, rate limited, temporarily unavailable, timed out.
    fn transient(&self) -> bool;
    /// The request never reached the node, so even a transaction may be re-sent.
    fn unreached(&self) -> bool;
}

impl Classify for TransportError {
    fn transient(&self) -> bool {
        transient(self)
    }
    fn unreached(&self) -> bool {
        unreached(self)
    }
}

impl Classify for alloy::contract::Error {
    fn transient(&self) -> bool {
        transport_of(self).is_some_and(transient)
    }
    fn unreached(&self) -> bool {
        transport_of(self).is_some_and(unreached)
    }
}

/// Whether an operation may be repeated after a failure: reads may, sends only if unreached.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Idempotence {
    /// A read: retried on any transient failure.
    Read,
    /// A transaction: retried only when the node was never reached, so it cannot be sent twice.
    Send,
}

/// Runs `op` until it succeeds, fails permanently, or the attempts are used up; the error is
/// mapped by `fail(error, attempts made)`.
pub async fn with_retries<T, E, F, Fut>(
    policy: RetryPolicy,
    kind: Idempotence,
    mut op: F,
    fail: impl Fn(E, u32) -> Error,
) -> Result<T, Error>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: IntoFuture<Output = Result<T, E>>,
{
    let mut backoff = policy.first_backoff;
    let mut attempt = 1;
    loop {
        match op().into_future().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let again = match kind {
                    Idempotence::Read => e.transient(),
                    Idempotence::Send => e.unreached(),
                };
                if !again || attempt >= policy.attempts {
                    return Err(fail(e, attempt));
                }
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
        }
    }
}

/// A node's words for "this account cannot pay for the gas".
pub fn says_insufficient_funds(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("insufficient funds") || m.contains("lack of funds") || m.contains("insufficient balance")
}
