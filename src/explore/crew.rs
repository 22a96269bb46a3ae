//! The threads a search runs on: the calling thread and, for `--jobs n`, `n - 1` more,
//! started once for the whole search.
//!
//! Each chunk of a level is expanded on every thread and its new states then inserted on
//! every thread (see the parent module's "Parallel"): two rounds of work a chunk, a few
//! milliseconds each at the smallest chunk. Starting and joining threads for each round
//! cost 50 to 150 microseconds a thread, a tenth of the two-thread search at the default
//! bounds (73 chunks). A pool kept for the whole search (rayon's) hands a round out in
//! microseconds. The work is split among the threads as before, by the chunk's blocks and
//! the visited set's shards, never by which thread is free first: the pool changes when
//! the work runs, not what it finds.

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The threads of one search.
pub struct Crew {
    /// `None` on one thread: everything runs on the calling thread.
    pool: Option<ThreadPool>,
}

impl Crew {
    /// A crew of `threads` threads, the calling one included.
    pub fn new(threads: usize) -> Result<Crew, String> {
        let pool = if threads > 1 {
            let pool = ThreadPoolBuilder::new()
                .num_threads(threads - 1)
                .thread_name(|i| format!("explore-{}", i + 1))
                .build()
                .map_err(|e| format!("cannot start {threads} threads for the search: {e}"))?;
            Some(pool)
        } else {
            None
        };
        Ok(Crew { pool })
    }

    /// How many threads run a round: the calling thread and the pool's.
    pub fn threads(&self) -> usize {
        1 + self
            .pool
            .as_ref()
            .map_or(0, ThreadPool::current_num_threads)
    }

    /// Runs `mine` on the calling thread and each of `theirs` on the pool, all at once;
    /// returns when every one has finished, with `mine`'s result and `theirs`' in their
    /// order. On one thread, `theirs` run after `mine`, in order. A panic in any of them
    /// is raised again here once the others have finished.
    pub fn run<M, T, F>(&self, theirs: Vec<F>, mine: impl FnOnce() -> M) -> (M, Vec<T>)
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        let Some(pool) = &self.pool else {
            let m = mine();
            return (m, theirs.into_iter().map(|f| f()).collect());
        };
        let mut done: Vec<Option<T>> = theirs.iter().map(|_| None).collect();
        let m = pool.in_place_scope(|scope| {
            for (f, out) in theirs.into_iter().zip(done.iter_mut()) {
                scope.spawn(move |_| *out = Some(f()));
            }
            mine()
        });
        let theirs = done
            .into_iter()
            .map(|t| t.expect("the scope ends after every task"))
            .collect();
        (m, theirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    #[test]
    fn every_task_runs_once_and_results_keep_their_order() {
        for threads in [1, 2, 3] {
            let crew = Crew::new(threads).unwrap();
            assert_eq!(crew.threads(), threads);
            let ran = AtomicUsize::new(0);
            let ran = &ran;
            let tasks: Vec<_> = (0..5)
                .map(|i| {
                    move || {
                        ran.fetch_add(1, Ordering::Relaxed);
                        i * 10
                    }
                })
                .collect();
            let (mine, theirs) = crew.run(tasks, || "mine");
            assert_eq!(mine, "mine");
            assert_eq!(theirs, vec![0, 10, 20, 30, 40]);
            assert_eq!(ran.load(Ordering::Relaxed), 5);
        }
    }

    /// The calling thread's work and the pool's run at the same time: each waits for the
    /// other at a barrier, which would never open were they run one after the other.
    #[test]
    fn the_calling_thread_works_beside_the_pool() {
        let crew = Crew::new(2).unwrap();
        let barrier = Barrier::new(2);
        let barrier = &barrier;
        let (mine, theirs) = crew.run(
            vec![move || {
                barrier.wait();
                std::thread::current().name().map(str::to_owned)
            }],
            || {
                barrier.wait();
                std::thread::current().name().map(str::to_owned)
            },
        );
        assert_eq!(theirs, vec![Some("explore-1".to_owned())]);
        assert_ne!(mine, theirs[0], "mine ran on the calling thread");
    }

    #[test]
    fn a_panic_in_the_pool_reaches_the_caller() {
        let crew = Crew::new(2).unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crew.run(vec![|| panic!("a task failed")], || ());
        }));
        assert!(caught.is_err());
        // The crew is still usable afterwards.
        assert_eq!(crew.run(vec![|| 1], || 2), (2, vec![1]));
    }
}
