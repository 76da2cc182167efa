//! Concurrency slots: a function's limit and the account's pool.
//!
//! Every invocation takes a slot of its function and, without reserved
//! concurrency, one of the account pool that all functions share, and gives
//! them back when its instance is back in the warm pool. Taking a free slot
//! and giving one back are one atomic operation each — no lock that two
//! workers could contend for on every request (a semaphore locks its
//! waiters' list on every release); only an invocation that finds no slot
//! free waits, and only then is a waiter woken.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// A number of slots, taken and given back by [`Slot`]s.
#[derive(Debug)]
pub struct Slots {
    limit: usize,
    taken: AtomicUsize,
    /// Invocations waiting for a slot.
    waiting: AtomicUsize,
    freed: Notify,
}

/// One slot taken; given back when dropped.
#[derive(Debug)]
pub struct Slot(Arc<Slots>);

impl Slots {
    /// `limit` slots (at least one).
    pub fn new(limit: usize) -> Arc<Slots> {
        Arc::new(Slots {
            limit: limit.max(1),
            taken: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            freed: Notify::new(),
        })
    }

    /// A free slot, if there is one.
    pub fn try_take(self: &Arc<Self>) -> Option<Slot> {
        let mut taken = self.taken.load(Ordering::SeqCst);
        while taken < self.limit {
            match self.taken.compare_exchange_weak(
                taken,
                taken + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Some(Slot(self.clone())),
                Err(now) => taken = now,
            }
        }
        None
    }

    /// A slot, waiting until one is given back (cancel by dropping).
    pub async fn take(self: &Arc<Self>) -> Slot {
        loop {
            if let Some(slot) = self.try_take() {
                return slot;
            }
            let _waiting = Waiting::new(self);
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the second look: a slot given back after it
            // wakes this waiter (the giver sees `waiting` > 0).
            freed.as_mut().enable();
            if let Some(slot) = self.try_take() {
                return slot;
            }
            freed.await;
        }
    }

    /// How many slots are taken.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::SeqCst)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let slots = &self.0;
        slots.taken.fetch_sub(1, Ordering::SeqCst);
        if slots.waiting.load(Ordering::SeqCst) > 0 {
            slots.freed.notify_one();
        }
    }
}

/// Counts a waiter while it waits (also when its wait is cancelled).
struct Waiting<'a>(&'a Slots);

impl<'a> Waiting<'a> {
    fn new(slots: &'a Slots) -> Waiting<'a> {
        slots.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(slots)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn slots_are_taken_up_to_the_limit_and_given_back() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let b = slots.try_take().unwrap();
        assert!(slots.try_take().is_none());
        assert_eq!(slots.taken(), 2);
        drop(a);
        let c = slots.try_take().unwrap();
        drop((b, c));
        assert_eq!(slots.taken(), 0);
    }

    /// A waiter gets the slot given back; a cancelled waiter leaves nothing
    /// behind; many tasks contending never exceed the limit nor hang.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiters_get_slots_given_back() {
        let slots = Slots::new(1);
        let held = slots.try_take().unwrap();
        let cancelled = tokio::time::timeout(Duration::from_millis(20), slots.take()).await;
        assert!(cancelled.is_err());
        assert_eq!(slots.waiting.load(Ordering::SeqCst), 0);
        let waiter = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await }
        });
        tokio::task::yield_now().await;
        drop(held);
        let got = tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("the waiter got the slot")
            .unwrap();
        drop(got);

        let slots = Slots::new(3);
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (slots, peak) = (slots.clone(), peak.clone());
                tokio::spawn(async move {
                    for _ in 0..200 {
                        let slot = slots.take().await;
                        peak.fetch_max(slots.taken(), Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        drop(slot);
                    }
                })
            })
            .collect();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .expect("no task hangs")
                .unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert_eq!(slots.taken(), 0);
    }
}
