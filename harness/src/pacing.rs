//! Idle time inside a cell: a step that only lets time pass (a token
//! lifetime, a fault window) says so with [`idle`], and the run's scheduler
//! may start another cell on the slot meanwhile. The scheduler installs a
//! [`Slot`] for each cell's task; outside a run (or with none), `idle` only
//! awaits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A cell's place in the run, which it can give up while idle.
pub trait Slot: Send + Sync {
    /// Gives the place up (another cell may start on it).
    fn release(&self);
    /// Waits for a place again; resuming a cell goes before starting one.
    fn reacquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

tokio::task_local! {
    static SLOT: Arc<dyn Slot>;
}

/// Runs `future` (a cell) with `slot` as the place its idle steps give up.
pub async fn with_slot<F: Future>(slot: Arc<dyn Slot>, future: F) -> F::Output {
    SLOT.scope(slot, future).await
}

/// Awaits `future`, a stretch in which the cell mostly waits, with its
/// place given up meanwhile.
pub async fn idle<F: Future>(future: F) -> F::Output {
    match SLOT.try_with(Arc::clone) {
        Ok(slot) => {
            slot.release();
            let output = future.await;
            slot.reacquire().await;
            output
        }
        Err(_) => future.await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Counting {
        held: AtomicUsize,
        released: AtomicUsize,
    }

    impl Slot for Counting {
        fn release(&self) {
            self.held.fetch_sub(1, Ordering::SeqCst);
            self.released.fetch_add(1, Ordering::SeqCst);
        }
        fn reacquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            Box::pin(async {
                self.held.fetch_add(1, Ordering::SeqCst);
            })
        }
    }

    #[tokio::test]
    async fn an_idle_stretch_gives_the_place_up_and_takes_it_back() {
        let slot = Arc::new(Counting {
            held: AtomicUsize::new(1),
            ..Counting::default()
        });
        let during = with_slot(slot.clone(), async {
            idle(async { slot.held.load(Ordering::SeqCst) }).await
        })
        .await;
        assert_eq!(during, 0, "the place was held while idle");
        assert_eq!(slot.held.load(Ordering::SeqCst), 1);
        assert_eq!(slot.released.load(Ordering::SeqCst), 1);
        // Without a slot, idle only awaits.
        assert_eq!(idle(async { 7 }).await, 7);
    }
}
